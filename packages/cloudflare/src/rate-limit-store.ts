import type { RateLimitDecision, RateLimitStore } from '@gatehouse/edge';

/** Workers' rate-limiting binding (wrangler's `ratelimits`), as far as the store uses it. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * Rate limits through the Workers rate-limiting binding: Cloudflare counts
 * per key and location, for every isolate there. The binding's own
 * `simple: { limit, period }` decides, in fixed windows of 10 or 60 s on
 * the wall clock, so a route's `rate` and `burst` are not used with this
 * store; `period` (the binding's) is what a refused client is told to wait.
 *
 * @example
 * ```toml
 * # wrangler.toml
 * [[ratelimits]]
 * name = "LIMITER"
 * namespace_id = "1001"
 * simple = { limit = 100, period = 60 }
 * ```
 * ```ts
 * defineEdge((env) => ({
 *   routes: { '/api/': { proxy: 'app', rateLimit: { rate: 1, store: workersRateLimitStore(env.LIMITER, 60) } } },
 * }))
 * ```
 */
export function workersRateLimitStore(binding: RateLimitBinding, period: 10 | 60): RateLimitStore {
  if (typeof binding?.limit !== 'function') throw new TypeError('workersRateLimitStore: give the rate-limiting binding (env.LIMITER), from [[ratelimits]] in wrangler.toml');
  if (period !== 10 && period !== 60) throw new TypeError(`workersRateLimitStore: the binding's period is 10 or 60 seconds, not ${String(period)}`);
  return {
    async take(key): Promise<RateLimitDecision> {
      const { success } = await binding.limit({ key });
      return { allowed: success, retryAfter: success ? 0 : period };
    },
  };
}
