import { compileLimitKey, type LimitKey } from './_limit-key.ts';

/**
 * Requests a client may make (nginx's `limit_req`): a token bucket per key
 * that holds `burst + 1` tokens and gains `rate` a second; a request takes
 * one, and one that finds none gets 429 with `Retry-After`.
 */
export interface RateLimitRules {
  /** Requests a second, sustained. */
  readonly rate: number;
  /** Requests beyond the rate that may come at once (nginx's `burst … nodelay`). Defaults to 0. */
  readonly burst?: number;
  /** What a limit is kept per: the client's address (the default), or a request header's value (an API key). */
  readonly key?: LimitKey;
  /**
   * Where the buckets live. Defaults to this process's or isolate's memory
   * ({@link memoryRateLimitStore}); on Node, `redisRateLimitStore` of
   * `@gatehouse/edge-node` shares them between processes and machines; on
   * Workers, `workersRateLimitStore` of `@gatehouse/cloudflare` uses the
   * rate-limiting binding.
   */
  readonly store?: RateLimitStore;
  /**
   * The limit's name, so that routes with the same name share buckets.
   * Defaults to the route's location.
   */
  readonly zone?: string;
}

/** The outcome of one request against its bucket. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** When refused: seconds until a request would be allowed. */
  readonly retryAfter: number;
}

/** Where buckets live: one call per request, atomic per key. */
export interface RateLimitStore {
  take(key: string, rate: number, burst: number): RateLimitDecision | Promise<RateLimitDecision>;
}

/**
 * Buckets in this process's (or isolate's) memory, at most `maxKeys` of
 * them; the least recently used go first, which only ever forgives.
 */
export function memoryRateLimitStore(options: { maxKeys?: number; clock?: () => number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const clock = options.clock ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, rate, burst) {
      const now = clock();
      const capacity = burst + 1;
      const bucket = buckets.get(key);
      let tokens = capacity;
      if (bucket !== undefined) {
        tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
        buckets.delete(key);
      } else if (buckets.size >= maxKeys) {
        buckets.delete(buckets.keys().next().value!);
      }
      const allowed = tokens >= 1;
      if (allowed) tokens -= 1;
      buckets.set(key, { tokens, at: now });
      return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate)) };
    },
  };
}

/** Every route without a store of its own shares this one (keys carry the zone). */
let defaultStore: RateLimitStore | undefined;

/** The limit compiled for one route: 429 with Retry-After, or undefined to go on. */
export function compileRateLimit(
  rules: RateLimitRules,
  zone: string,
  fail: (message: string) => never,
): (headers: { get(name: string): string | null }, address: string | undefined) => Response | undefined | Promise<Response | undefined> {
  const { rate, burst = 0, key = 'client-address' } = rules;
  if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) fail(`rateLimit.rate is requests a second (> 0), not ${JSON.stringify(rate)}`);
  if (!Number.isInteger(burst) || burst < 0) fail(`rateLimit.burst is a count ≥ 0, not ${JSON.stringify(burst)}`);
  const keyOf = compileLimitKey(key, 'rateLimit', fail);
  const store = rules.store ?? (defaultStore ??= memoryRateLimitStore());
  const name = rules.zone ?? zone;
  const refuse = (decision: RateLimitDecision): Response | undefined =>
    decision.allowed
      ? undefined
      : new Response('Too Many Requests\n', { status: 429, headers: { 'retry-after': String(decision.retryAfter), 'content-type': 'text/plain; charset=utf-8' } });
  return (headers, address) => {
    const value = keyOf(headers, address);
    if (value === undefined) return undefined;
    const decision = store.take(`${name} ${value}`, rate, burst);
    return decision instanceof Promise ? decision.then(refuse) : refuse(decision);
  };
}
