import { randomUUID } from 'node:crypto';
import type { ConcurrencyStore } from '@gatehouse/edge';
import { checkTimeout, reporter, send } from './_fail-open.ts';
import type { RedisCommands } from './redis-commands.ts';

/** Options of {@link redisConcurrencyStore}. */
export interface RedisConcurrencyStoreOptions {
  /** Put before every key. Defaults to `gatehouse:concurrency:`. */
  readonly prefix?: string;
  /**
   * Milliseconds a lease lasts unless renewed; a request in flight renews
   * its lease every third of it. A process that dies holds its places
   * this long at most. Defaults to 30 s.
   */
  readonly ttl?: number;
  /** Milliseconds a command may take before the store gives up on it (and lets the request through). Defaults to 1000. */
  readonly timeout?: number;
  /** Told of each failure; by default a warning on stderr, at most once a minute. */
  readonly onError?: (error: unknown) => void;
}

// A key's requests in flight are a sorted set: a member per lease (an id
// no other request has), scored with the time it expires, on Redis's own
// clock (`TIME`) so that edges whose clocks differ agree. The set itself
// expires with its last lease.

/** Drop the expired leases, then take a place if one is left: 1, or 0 when all are taken. */
const ACQUIRE = `
local max = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= max then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/**
 * Push a lease's expiry on, if it is still held (XX): a renewal that
 * arrives after the release (another connection of a pool) must not bring
 * the lease back.
 */
const RENEW = `
local ttl = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[2])
if renewed == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return renewed
`;

/** What a request gets when the store cannot tell: it goes through, counted nowhere. */
const uncounted = (): void => {};

/**
 * The `concurrency` rule's counts in Redis (nginx's `limit_conn`, across
 * every edge process and machine that uses it; pass a connected `redis`
 * client, see {@link RedisCommands}). Each request holds a lease that
 * expires after `ttl` unless renewed, and renews it while its answer is in
 * flight, so a process that dies (or loses Redis) frees its places at most
 * `ttl` later instead of never.
 *
 * When Redis cannot be reached (or does not answer within `timeout`) the
 * request is let through and the error reported (by default once a
 * minute): a limit that fails closed would take the site down with it.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { redisConcurrencyStore } from '@gatehouse/edge-node/redis'
 *
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379' }).connect()
 * export default defineEdge({
 *   pools: { app: { servers: ['http://127.0.0.1:8000'] } },
 *   routes: { '/download/': { proxy: 'app', concurrency: { max: 2, store: redisConcurrencyStore(redis) } } },
 * })
 * ```
 */
export function redisConcurrencyStore(client: RedisCommands, options: RedisConcurrencyStoreOptions = {}): ConcurrencyStore {
  const prefix = options.prefix ?? 'gatehouse:concurrency:';
  if (typeof prefix !== 'string') throw new TypeError(`redisConcurrencyStore: prefix is a string, not ${String(prefix)}`);
  const ttl = options.ttl ?? 30_000;
  if (!Number.isInteger(ttl) || ttl < 100) throw new TypeError(`redisConcurrencyStore: ttl is whole milliseconds (≥ 100), not ${String(ttl)}`);
  const timeout = checkTimeout(options.timeout ?? 1000, 'redisConcurrencyStore');
  const report = reporter('concurrency store', 'letting requests through', options.onError);
  // Lease ids: this store's own prefix (random, so that processes and machines never share one) and a count.
  const owner = randomUUID();
  let leases = 0;
  const ttlArgument = String(ttl);

  const lease = (key: string, id: string): (() => void) => {
    const renewal = setInterval(() => {
      send(client, ['EVAL', RENEW, '1', key, ttlArgument, id], timeout).catch(report);
    }, Math.floor(ttl / 3));
    // Renewals are for requests in flight: they do not keep a process alive.
    renewal.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      send(client, ['ZREM', key, id], timeout).catch(report);
    };
  };

  return {
    async acquire(name, max) {
      const key = prefix + name;
      const id = `${owner}:${(leases++).toString(36)}`;
      let taken: unknown;
      try {
        taken = await send(client, ['EVAL', ACQUIRE, '1', key, String(max), ttlArgument, id], timeout);
      } catch (error) {
        report(error);
        // The script may yet run (sent, its answer late): this removal, sent after it on the same connection, takes back the place it may take.
        send(client, ['ZREM', key, id], timeout).catch(() => {});
        return uncounted;
      }
      return Number(taken) === 1 ? lease(key, id) : undefined;
    },
  };
}
