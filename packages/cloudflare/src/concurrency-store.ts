// A subpath of its own (`@gatehouse/cloudflare/concurrency`): the object's
// class needs `cloudflare:workers`, which loads only in workerd, and the
// main entry must load anywhere.
import { waitUntil } from 'cloudflare:workers';
import type { ConcurrencyStore } from '@gatehouse/edge';
import type { ConcurrencyCounter } from './concurrency-counter.ts';

export { ConcurrencyCounter } from './concurrency-counter.ts';

/** Options of {@link durableConcurrencyStore}. */
export interface DurableConcurrencyStoreOptions {
  /**
   * Milliseconds a lease lasts unless renewed; a request in flight renews
   * its lease every third of it. An isolate that dies (or loses the
   * object) holds its places this long at most. Defaults to 30 s.
   */
  readonly ttl?: number;
  /** Milliseconds the object may take to answer before the store gives up on it (and lets the request through). Defaults to 1000. */
  readonly timeout?: number;
  /** Told of each failure; by default a warning on the console, at most once a minute. */
  readonly onError?: (error: unknown) => void;
}

/** An answer the object did not give in time. */
export class ConcurrencyStoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer from the Durable Object within ${ms} ms`);
    this.name = 'ConcurrencyStoreTimeoutError';
  }
}

/** What a request gets when the store cannot tell: it goes through, counted nowhere. */
const uncounted = (): void => {};

/**
 * The `concurrency` rule's counts (nginx's `limit_conn`) for every isolate
 * of a Worker, in the {@link ConcurrencyCounter} Durable Object bound as
 * `namespace`. Each request holds a lease that expires after `ttl` unless
 * renewed, and renews it while its answer is in flight, so an isolate that
 * is torn down mid-request frees its places at most `ttl` later instead of
 * never.
 *
 * When the object cannot be reached (or does not answer within `timeout`)
 * the request is let through and the error reported (by default once a
 * minute): a limit that fails closed would take the site down with it.
 *
 * @example
 * ```ts
 * // wrangler.toml: [[durable_objects.bindings]] name = "CONCURRENCY", class_name = "ConcurrencyCounter"
 * //               [[migrations]] tag = "v1", new_sqlite_classes = ["ConcurrencyCounter"]
 * import { worker } from '@gatehouse/cloudflare'
 * import { ConcurrencyCounter, durableConcurrencyStore } from '@gatehouse/cloudflare/concurrency'
 * import { defineEdge } from '@gatehouse/edge'
 *
 * export { ConcurrencyCounter }
 * export default worker(defineEdge((env: { CONCURRENCY: DurableObjectNamespace<ConcurrencyCounter> }) => ({
 *   pools: { files: { servers: ['https://files.example'] } },
 *   routes: { '/download/': { proxy: 'files', concurrency: { max: 2, store: durableConcurrencyStore(env.CONCURRENCY) } } },
 * })))
 * ```
 */
export function durableConcurrencyStore(
  namespace: DurableObjectNamespace<ConcurrencyCounter>,
  options: DurableConcurrencyStoreOptions = {},
): ConcurrencyStore {
  if (typeof namespace?.idFromName !== 'function') {
    throw new TypeError('durableConcurrencyStore: give the Durable Object binding (env.CONCURRENCY) of a ConcurrencyCounter, from [[durable_objects.bindings]] in wrangler.toml');
  }
  const ttl = options.ttl ?? 30_000;
  if (!Number.isInteger(ttl) || ttl < 100) throw new TypeError(`durableConcurrencyStore: ttl is whole milliseconds (≥ 100), not ${String(ttl)}`);
  const timeout = options.timeout ?? 1000;
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw new TypeError(`durableConcurrencyStore: timeout is milliseconds (> 0), not ${String(timeout)}`);
  }
  const report = options.onError ?? onceAMinute();
  // Lease ids: this store's own prefix (random, so that isolates never share
  // one) and a count. Drawn at the first request: workerd refuses random
  // numbers at a module's top level, where a store may be made.
  let owner: string | undefined;
  let leases = 0;

  /** Work that must outlive the request that started it (a release as its answer ends), failures reported. */
  const detach = (work: Promise<unknown>): void => {
    const reported = work.catch(report);
    try {
      waitUntil(reported);
    } catch {
      // Outside a request there is nothing to extend: the work goes on regardless.
    }
  };

  const lease = (stub: DurableObjectStub<ConcurrencyCounter>, key: string, id: string): (() => void) => {
    const renewal = setInterval(() => {
      stub.renew(key, id, ttl).then((held) => {
        // Gone (expired while the object was out of reach): renewing cannot bring it back.
        if (!held) clearInterval(renewal);
      }, report);
    }, Math.floor(ttl / 3));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      detach(stub.release(key, id));
    };
  };

  return {
    async acquire(key, max) {
      const id = `${(owner ??= crypto.randomUUID())}:${(leases++).toString(36)}`;
      let stub: DurableObjectStub<ConcurrencyCounter> | undefined;
      let taken: boolean;
      try {
        // An object per key (the rule's keys carry the zone): a key's count
        // lives in one object, so taking a place is atomic, and the load
        // spreads over as many objects as there are clients, each made near
        // its client's first request. A fixed set of shards would send
        // every request of the world to a few objects in one place.
        stub = namespace.get(namespace.idFromName(key));
        taken = await bounded(stub.acquire(key, max, id, ttl), timeout);
      } catch (error) {
        report(error);
        // The call may yet arrive, its answer late: this release, sent after
        // it through the same stub (calls of one stub arrive in order),
        // takes back the place it may take.
        if (stub !== undefined) detach(stub.release(key, id));
        return uncounted;
      }
      return taken ? lease(stub, key, id) : undefined;
    },
  };
}

/** A warning on the console at most once a minute: an outage fails every request, and a line per request would bury everything else. */
function onceAMinute(): (error: unknown) => void {
  let reported = -Infinity;
  return (error) => {
    const now = Date.now();
    if (now - reported < 60_000) return;
    reported = now;
    console.warn(`[gatehouse] concurrency store: the Durable Object failed, letting requests through: ${(error as Error)?.message ?? String(error)}`);
  };
}

/** `reply`, or a {@link ConcurrencyStoreTimeoutError} once `timeout` ms have passed without it. */
function bounded<T>(reply: Promise<T>, timeout: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConcurrencyStoreTimeoutError(timeout)), timeout);
  });
  return Promise.race([reply, late]).finally(() => clearTimeout(timer));
}
