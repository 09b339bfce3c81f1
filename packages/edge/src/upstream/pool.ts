import type { Balancer } from './_balancer.ts';
import { HashRing } from './_hash-ring.ts';
import { LeastInFlight } from './_least-in-flight.ts';
import { normalizePool, type RetrySettings, type UpstreamServer } from './_normalize.ts';
import { RoundRobin } from './_round-robin.ts';
import type { HealthStore } from './health-store.ts';
import type { Balance, HealthCheckConfig, PoolConfig } from './pool-config.ts';

export type { UpstreamServer, RetrySettings } from './_normalize.ts';

const NOTHING_DOWN: ReadonlySet<string> = Object.freeze(new Set<string>());

/**
 * A pool of upstream servers with its balancing state, made by
 * {@link createPool} from a checked configuration. Hand it to
 * `createProxy`/`proxy` to send requests to it, and to `checkPool` for
 * active health checks. Its balancing state (round-robin positions,
 * requests in flight) is per process or isolate; its health state lives in
 * its {@link HealthStore}.
 */
export class Pool {
  readonly name: string;
  /** Every server: the primaries first, then the backups. */
  readonly servers: readonly UpstreamServer[];
  readonly balance: Balance;
  readonly retry: RetrySettings;
  readonly connectTimeout: number;
  readonly responseTimeout: number;
  readonly healthCheck: HealthCheckConfig | undefined;
  readonly allDown: 'try' | 'fail';
  readonly store: HealthStore;
  readonly clock: () => number;
  readonly #primaries: readonly UpstreamServer[];
  readonly #backups: readonly UpstreamServer[];
  readonly #primary: Balancer;
  readonly #backup: Balancer | undefined;
  /** Where each server sits in its tier. */
  readonly #position = new Map<UpstreamServer, number>();
  /**
   * One server and no backup: like nginx, never take it down (there is
   * nothing else to send to) and spare the health store.
   */
  readonly #single: boolean;

  /** Use {@link createPool}. */
  constructor(config: PoolConfig) {
    const settings = normalizePool(config);
    this.name = settings.name;
    this.#primaries = settings.primaries;
    this.#backups = settings.backups;
    this.servers = [...settings.primaries, ...settings.backups];
    this.balance = settings.balance;
    this.retry = settings.retry;
    this.connectTimeout = settings.connectTimeout;
    this.responseTimeout = settings.responseTimeout;
    this.healthCheck = settings.healthCheck;
    this.allDown = settings.allDown;
    this.store = settings.store;
    this.clock = settings.clock;
    this.#primary = balancer(settings.balance, settings.primaries);
    this.#backup = settings.backups.length === 0 ? undefined : balancer(settings.balance, settings.backups);
    settings.primaries.forEach((server, index) => this.#position.set(server, index));
    settings.backups.forEach((server, index) => this.#position.set(server, index));
    this.#single = settings.primaries.length === 1 && settings.backups.length === 0;
  }

  /** Whether requests in flight are counted (`least-in-flight` balancing). */
  get countsInFlight(): boolean {
    return this.balance === 'least-in-flight';
  }

  /**
   * The servers that are down at `now`, from the store. A pool of one
   * server never asks.
   */
  down(now: number): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    return this.#single ? NOTHING_DOWN : this.store.down(now);
  }

  /**
   * Choose the server for a request's next attempt, skipping those that
   * are `down` and those it `tried`: a primary; else, when every primary
   * is down or tried, a backup; else, when `allDown` is 'try' and nothing
   * was usable only because servers are down, a primary that is down and
   * not tried yet. `undefined` when nothing is left. `key` is the request's
   * hash key (`undefined` unless the pool hashes).
   */
  choose(down: ReadonlySet<string>, tried: readonly UpstreamServer[] | undefined, key: string | undefined): UpstreamServer | undefined {
    const primary = this.#primary.pick(down, tried, key);
    if (primary !== -1) return this.#primaries[primary];
    if (this.#backup !== undefined) {
      const backup = this.#backup.pick(down, tried, key);
      if (backup !== -1) return this.#backups[backup];
    }
    if (this.allDown === 'try' && down.size !== 0) {
      const anyway = this.#primary.pick(NOTHING_DOWN, tried, key);
      if (anyway !== -1) return this.#primaries[anyway];
    }
    return undefined;
  }

  /** Record a failed exchange with `server`. */
  failed(server: UpstreamServer, now: number): void | Promise<void> {
    if (this.#single) return;
    return this.store.fail(server.key, now, server.maxFails, server.failTimeout);
  }

  /** Record a successful exchange with `server`. */
  succeeded(server: UpstreamServer, now: number): void | Promise<void> {
    if (this.#single) return;
    return this.store.succeed(server.key, now);
  }

  /** A request to `server` was sent (counted under least-in-flight). */
  started(server: UpstreamServer): void {
    const tier = server.backup ? this.#backup : this.#primary;
    if (tier instanceof LeastInFlight) tier.started(this.#position.get(server)!);
  }

  /** A request to `server` is over: failed, or its response body done. */
  ended(server: UpstreamServer): void {
    const tier = server.backup ? this.#backup : this.#primary;
    if (tier instanceof LeastInFlight) tier.ended(this.#position.get(server)!);
  }

  /** Requests in flight to `server` (always 0 unless balancing by least-in-flight). */
  inFlight(server: UpstreamServer): number {
    const tier = server.backup ? this.#backup : this.#primary;
    return tier instanceof LeastInFlight ? tier.inFlight()[this.#position.get(server)!]! : 0;
  }
}

/**
 * A pool of upstream servers, like nginx's `upstream` block: weights,
 * backups, a balancing method, passive health (`maxFails` within
 * `failTimeout`), retries, timeouts and optional active health checks.
 * Throws a `TypeError` naming the pool and the setting when the
 * configuration is wrong.
 *
 * @example
 * ```ts
 * import { createPool, createProxy } from '@gatehouse/edge'
 *
 * const app = createPool({
 *   name: 'app',
 *   servers: [
 *     'http://10.0.0.1:8000',
 *     { url: 'http://10.0.0.2:8000', weight: 2 },
 *     { url: 'http://10.0.0.9:8000', backup: true },
 *   ],
 *   balance: { hash: 'cookie', name: 'sessionid' },
 *   maxFails: 3,
 *   failTimeout: 30_000,
 *   retry: { on: ['error', 'timeout', 502, 503], tries: 2 },
 *   healthCheck: { path: '/healthz', interval: 5_000, timeout: 1_000 },
 * })
 * export default createProxy(app)
 * ```
 */
export function createPool(config: PoolConfig): Pool {
  return new Pool(config);
}

function balancer(balance: Balance, servers: readonly UpstreamServer[]): Balancer {
  if (balance === 'round-robin') return new RoundRobin(servers);
  if (balance === 'least-in-flight') return new LeastInFlight(servers);
  return new HashRing(servers);
}
