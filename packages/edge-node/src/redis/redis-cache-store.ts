import type { CacheEntry, CacheStore } from '@gatehouse/edge';
import { checkTimeout, reporter, send } from './_fail-open.ts';
import type { RedisCommands } from './redis-commands.ts';

/** Options of {@link redisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** Put before every key, so that the cache keeps to its own names. Defaults to `gatehouse:cache:`. */
  readonly prefix?: string;
  /** Milliseconds a command may take before the store gives up on it (a miss, for a read). Defaults to 1000. */
  readonly timeout?: number;
  /** Told of each failure; by default a warning on stderr, at most once a minute. */
  readonly onError?: (error: unknown) => void;
}

/**
 * An entry is a hash of two fields, `head` (its JSON) and `body` (the
 * bytes as they are), replaced and given its time to live in one script
 * so that no reader sees a head without its body, nor a key that never
 * expires. `ARGV[3]` empty: kept without a time limit.
 */
const PUT = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'head', ARGV[1], 'body', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;

const BUFFERS = { typeMapping: { 36: Buffer } } as const;

/** Keys a purge scans for at a time; SCAN's COUNT is a hint, so a batch may hold more or fewer. */
const SCAN_BATCH = '1000';

/**
 * Cached responses in Redis, shared by every edge process and machine
 * that uses it (pass a connected `redis` client, see {@link RedisCommands}).
 * Bodies are kept as bytes, not as text; Redis drops each entry when its
 * time is up (`PEXPIRE`), and its own `maxmemory` policy bounds the rest
 * (`allkeys-lru` for a server that only caches).
 *
 * A cache that fails must not take the site down with it: when Redis
 * cannot be reached (or does not answer within `timeout`), a read is a
 * miss, and a write or a purge is given up; each failure is reported (by
 * default at most once a minute).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { redisCacheStore } from '@gatehouse/edge-node/redis'
 *
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379' }).connect()
 * const cache = redisCacheStore(redis)
 * export default defineEdge({
 *   pools: { app: { servers: ['http://127.0.0.1:8000'] } },
 *   routes: { '/': { proxy: { pool: 'app', cache: { store: cache } } } },
 * })
 * ```
 */
export function redisCacheStore(client: RedisCommands, options: RedisCacheStoreOptions = {}): CacheStore {
  const prefix = options.prefix ?? 'gatehouse:cache:';
  if (typeof prefix !== 'string') throw new TypeError(`redisCacheStore: prefix is a string, not ${String(prefix)}`);
  const timeout = checkTimeout(options.timeout ?? 1000, 'redisCacheStore');
  const report = reporter('cache store', 'serving without the cache', options.onError);
  return {
    async get(key) {
      try {
        return entryOf(await send(client, ['HMGET', prefix + key, 'head', 'body'], timeout, BUFFERS));
      } catch (error) {
        report(error);
        return undefined;
      }
    },
    async put(key, entry, keepFor) {
      try {
        if (!(keepFor > 0)) {
          // Kept for no time: what the key held goes, as a put replaces it.
          await send(client, ['UNLINK', prefix + key], timeout);
          return;
        }
        const body = entry.body;
        const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        const ms = Number.isFinite(keepFor) ? String(Math.ceil(keepFor)) : '';
        await send(client, ['EVAL', PUT, '1', prefix + key, JSON.stringify(entry.head), bytes, ms], timeout);
      } catch (error) {
        report(error);
      }
    },
    async delete(key) {
      try {
        await send(client, ['UNLINK', prefix + key], timeout);
      } catch (error) {
        report(error);
      }
    },
    async deletePrefix(start) {
      const pattern = `${globEscape(prefix + start)}*`;
      try {
        // SCAN in batches rather than KEYS: the server answers others between them.
        let cursor = '0';
        do {
          const [next, keys] = (await send(client, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH], timeout, BUFFERS)) as [Buffer, Buffer[]];
          // The keys as the bytes they are: given back to UNLINK as they came, whatever they spell.
          if (keys.length > 0) await send(client, ['UNLINK', ...keys], timeout);
          cursor = next.toString('latin1');
        } while (cursor !== '0');
      } catch (error) {
        report(error);
      }
    },
  };
}

/** `text` as a Redis glob that matches it and only it: `*`, `?`, `[`, `]` and `\` are characters there. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** The entry in an HMGET reply of `head` and `body`, or undefined when the key holds none. */
function entryOf(reply: unknown): CacheEntry | undefined {
  const [head, body] = reply as [Buffer | null, Buffer | null];
  if (head === null || body === null) return undefined;
  const parsed: unknown = JSON.parse(head.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError('a cache entry whose head is not an object');
  // A plain Uint8Array over the same bytes: a Buffer's slice and toString are not a Uint8Array's.
  return { head: parsed as CacheEntry['head'], body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
}
