/**
 * State the edge shares through Redis between processes and machines on
 * Node: rate-limit buckets.
 *
 * @module
 */
export { redisRateLimitStore, type RedisEval } from './redis-rate-limit-store.ts';
