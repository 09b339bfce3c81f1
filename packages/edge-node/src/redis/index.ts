/**
 * State the edge shares through Redis between processes and machines on
 * Node: rate-limit buckets, the counts of the `concurrency` rule, and
 * cached responses. Each store takes a connected client of the `redis`
 * package (node-redis), or anything with the few methods it uses; when
 * Redis fails, the stores let requests through (a cache read is a miss)
 * and report it.
 *
 * @module
 */
export { redisRateLimitStore, type RedisEval } from './redis-rate-limit-store.ts';
export { redisConcurrencyStore, type RedisConcurrencyStoreOptions } from './redis-concurrency-store.ts';
export { redisCacheStore, type RedisCacheStoreOptions } from './redis-cache-store.ts';
export type { RedisCommandOptions, RedisCommands } from './redis-commands.ts';
