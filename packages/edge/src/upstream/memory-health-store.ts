import type { HealthStore } from './health-store.ts';

/** What is known of one server that failed. */
interface Health {
  /** Failures in the current streak. */
  fails: number;
  /** When the streak's first failure happened. */
  since: number;
  /** Down until then; 0 while it is not down. */
  until: number;
  /**
   * It was down and its time is over: it is being tried again, and its
   * next failure takes it down at once, as in nginx (whose failure count
   * stays at `max_fails` until a success).
   */
  onTrial: boolean;
}

const NONE: ReadonlySet<string> = Object.freeze(new Set<string>());

/**
 * The default {@link HealthStore}: a map in memory, per process on Node
 * and per isolate on Workers. It answers synchronously, and asking which
 * servers are down allocates nothing while nothing changes.
 *
 * @example
 * ```ts
 * import { createPool, MemoryHealthStore } from '@gatehouse/edge'
 *
 * // One store for several pools: their servers' health keys start with the pool's name.
 * const store = new MemoryHealthStore()
 * const api = createPool({ name: 'api', servers: ['http://10.0.0.1:8080'], store })
 * const web = createPool({ name: 'web', servers: ['http://10.0.0.2:8080'], store })
 * ```
 */
export class MemoryHealthStore implements HealthStore {
  readonly #servers = new Map<string, Health>();
  /** The last answer of `down()`: valid before `#validUntil`, unless something changed. */
  #down: ReadonlySet<string> = NONE;
  #validUntil = Infinity;

  fail(server: string, now: number, maxFails: number, failTimeout: number): void {
    if (maxFails <= 0) return; // nginx's max_fails=0: never taken down
    let health = this.#servers.get(server);
    if (health === undefined) {
      health = { fails: 0, since: now, until: 0, onTrial: false };
      this.#servers.set(server, health);
    }
    if (health.until > now) {
      // Down already (requests in flight fail one after another): down from now on.
      health.until = Math.max(health.until, now + failTimeout);
    } else if (health.onTrial || health.until !== 0) {
      health.fails = maxFails;
      health.since = now;
      health.until = now + failTimeout;
      health.onTrial = false;
    } else {
      if (health.fails === 0 || now - health.since > failTimeout) {
        health.fails = 0;
        health.since = now;
      }
      health.fails++;
      if (health.fails >= maxFails) health.until = now + failTimeout;
    }
    if (health.until > now) this.#changed();
  }

  succeed(server: string, _now: number): void {
    if (this.#servers.size !== 0 && this.#servers.delete(server)) this.#changed();
  }

  markDown(server: string, now: number, until: number): void {
    if (until <= now) {
      this.succeed(server, now);
      return;
    }
    const health = this.#servers.get(server);
    if (health === undefined) this.#servers.set(server, { fails: 0, since: now, until, onTrial: false });
    else health.until = Math.max(health.until, until);
    this.#changed();
  }

  down(now: number): ReadonlySet<string> {
    if (now < this.#validUntil) return this.#down;
    let next = Infinity;
    let down: Set<string> | undefined;
    for (const [server, health] of this.#servers) {
      if (health.until > now) {
        (down ??= new Set()).add(server);
        if (health.until < next) next = health.until;
      } else if (health.until !== 0) {
        health.until = 0;
        health.onTrial = true;
      }
    }
    this.#down = down ?? NONE;
    this.#validUntil = next;
    return this.#down;
  }

  #changed(): void {
    this.#validUntil = -Infinity;
  }
}
