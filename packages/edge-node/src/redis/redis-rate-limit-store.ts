import type { RateLimitDecision, RateLimitStore } from '@gatehouse/edge';
import { bounded, checkTimeout, reporter } from './_fail-open.ts';

/**
 * What the store needs of a Redis client: `EVAL` as the `redis` package
 * (node-redis) sends it. Any client with this method will do.
 */
export interface RedisEval {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * The token bucket of `rateLimit`, in one Lua script so that each request's
 * read and write are one atomic step however many edges share the key; the
 * time is Redis's own (`TIME`), so machines whose clocks differ agree. A
 * bucket is a hash (`tokens`, `at`) that expires once it would be full
 * again.
 */
const TOKEN_BUCKET = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + (now - at) / 1000 * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
if allowed == 1 then
  return {1, 0}
end
return {0, math.max(1, math.ceil((1 - tokens) / rate))}
`;

/**
 * Rate-limit buckets in Redis, shared by every edge process and machine
 * that uses it (pass a connected `redis` client). If Redis cannot be
 * reached, or does not answer within `timeout` ms (1000), the request is
 * let through and the error reported once a minute, as a limit that fails
 * closed would take the site down with it.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { redisRateLimitStore } from '@gatehouse/edge-node/redis'
 *
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379' }).connect()
 * export default defineEdge({
 *   routes: { '/login': { respond: 'ok', rateLimit: { rate: 1, burst: 5, store: redisRateLimitStore(redis) } } },
 * })
 * ```
 */
export function redisRateLimitStore(client: RedisEval, options: { prefix?: string; timeout?: number; onError?: (error: unknown) => void } = {}): RateLimitStore {
  const prefix = options.prefix ?? 'gatehouse:ratelimit:';
  // While node-redis reconnects it queues commands rather than fail them: without a bound, a request would wait for Redis to come back.
  const timeout = checkTimeout(options.timeout ?? 1000, 'redisRateLimitStore');
  const onError = reporter('rate limit store', 'letting requests through', options.onError);
  return {
    async take(key, rate, burst): Promise<RateLimitDecision> {
      try {
        const reply = (await bounded(client.eval(TOKEN_BUCKET, { keys: [prefix + key], arguments: [String(rate), String(burst + 1)] }), timeout)) as [number, number];
        return { allowed: Number(reply[0]) === 1, retryAfter: Number(reply[1]) };
      } catch (error) {
        onError(error);
        return { allowed: true, retryAfter: 0 };
      }
    },
  };
}
