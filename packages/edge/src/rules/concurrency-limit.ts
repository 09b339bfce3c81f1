import { compileLimitKey, type LimitKey } from './_limit-key.ts';

/**
 * Requests a client may have in flight at once (nginx's `limit_conn`),
 * counted until each answer's body has gone; one more gets 429 with
 * `Retry-After: 1`.
 */
export interface ConcurrencyRules {
  readonly max: number;
  /** What the count is kept per: the client's address (the default), or a request header's value. */
  readonly key?: LimitKey;
  /**
   * Where the counts live. Defaults to this process's or isolate's memory
   * ({@link memoryConcurrencyStore}); on Node, `redisConcurrencyStore` of
   * `@gatehouse/edge-node/redis` shares them between processes and
   * machines, and on Workers `durableConcurrencyStore` of
   * `@gatehouse/cloudflare/concurrency` between isolates.
   */
  readonly store?: ConcurrencyStore;
  /** Routes with the same zone share counts. Defaults to the route's location. */
  readonly zone?: string;
}

/**
 * Where the requests in flight are counted: one `acquire` per request,
 * atomic per key.
 */
export interface ConcurrencyStore {
  /**
   * Take one of `max` places under `key`: the function that gives it back
   * (called once the answer's body has gone; a second call does nothing),
   * or undefined when all `max` are taken. A store that cannot tell (its
   * server is down) should let the request through.
   */
  acquire(key: string, max: number): (() => void) | undefined | Promise<(() => void) | undefined>;
}

/**
 * Counts in this process's (or isolate's) memory, answered at once (no
 * Promise). A key is forgotten when its count is back to 0, so only the
 * keys with requests in flight are held.
 */
export function memoryConcurrencyStore(): ConcurrencyStore {
  const inFlight = new Map<string, number>();
  return {
    acquire(key, max) {
      const now = inFlight.get(key) ?? 0;
      if (now >= max) return undefined;
      inFlight.set(key, now + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left <= 0) inFlight.delete(key);
        else inFlight.set(key, left);
      };
    },
  };
}

/** Every route without a store of its own shares this one (keys carry the zone). */
let defaultStore: ConcurrencyStore | undefined;

/** What a request gets from the limit: a refusal, the function that ends its share, or undefined (not counted). */
export type ConcurrencyShare = Response | (() => void) | undefined;

/** The limit compiled for one route: a refusal, or the function that ends this request's share. */
export function compileConcurrency(
  rules: ConcurrencyRules,
  zone: string,
  fail: (message: string) => never,
): (headers: { get(name: string): string | null }, address: string | undefined) => ConcurrencyShare | Promise<ConcurrencyShare> {
  const { max, key = 'client-address' } = rules;
  if (!Number.isInteger(max) || max < 1) fail(`concurrency.max is a count ≥ 1, not ${JSON.stringify(max)}`);
  if (rules.store !== undefined && typeof rules.store.acquire !== 'function') fail('concurrency.store is a ConcurrencyStore (with acquire)');
  const keyOf = compileLimitKey(key, 'concurrency', fail);
  const store = rules.store ?? (defaultStore ??= memoryConcurrencyStore());
  const name = rules.zone ?? zone;
  const share = (release: (() => void) | undefined): ConcurrencyShare =>
    release ?? new Response('Too Many Requests\n', { status: 429, headers: { 'retry-after': '1', 'content-type': 'text/plain; charset=utf-8' } });
  return (headers, address) => {
    const value = keyOf(headers, address);
    if (value === undefined) return undefined;
    const release = store.acquire(`${name} ${value}`, max);
    // The memory store answers at once: no Promise on its path.
    return release instanceof Promise ? release.then(share) : share(release);
  };
}
