import type { CacheEntry, CacheStore } from './cache-store.ts';

/** Options of {@link memoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Bytes of bodies and fields kept at most; the least recently used go first past it. Defaults to 64 MiB. */
  readonly maxBytes?: number;
}

/** A {@link CacheStore} in this process's (or isolate's) memory, and what it holds. */
export interface MemoryCacheStore extends CacheStore {
  /** Bytes held now. */
  readonly bytes: number;
  /** Entries held now. */
  readonly size: number;
}

interface Held {
  readonly entry: CacheEntry;
  readonly until: number;
  readonly bytes: number;
}

/**
 * Cached responses in memory, bounded in bytes, least recently used
 * dropped first (nginx's `proxy_cache_path … max_size`, without the disk).
 * Each edge process has its own; use `redisCacheStore` to share one.
 *
 * @example
 * ```ts
 * import { defineEdge, memoryCacheStore } from '@gatehouse/edge'
 *
 * const cache = memoryCacheStore({ maxBytes: 256 * 1024 * 1024 })
 * export default defineEdge({
 *   pools: { app: { servers: ['http://127.0.0.1:8000'] } },
 *   routes: { '/': { proxy: { pool: 'app', cache: { store: cache } } } },
 * })
 * ```
 */
export function memoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`memoryCacheStore: maxBytes is a number of bytes ≥ 1, not ${String(maxBytes)}`);
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const held = new Map<string, Held>();
  let bytes = 0;
  const drop = (key: string, item: Held): void => {
    held.delete(key);
    bytes -= item.bytes;
  };
  return {
    get bytes() {
      return bytes;
    },
    get size() {
      return held.size;
    },
    get(key) {
      const item = held.get(key);
      if (item === undefined) return undefined;
      if (item.until <= Date.now()) {
        drop(key, item);
        return undefined;
      }
      held.delete(key);
      held.set(key, item);
      return item.entry;
    },
    put(key, entry, keepFor) {
      const old = held.get(key);
      if (old !== undefined) drop(key, old);
      const size = sizeOf(key, entry);
      if (size > maxBytes || !(keepFor > 0)) return;
      held.set(key, { entry, until: Date.now() + keepFor, bytes: size });
      bytes += size;
      if (bytes <= maxBytes) return;
      const now = Date.now();
      // Expired entries go first, wherever they are; then the least recently used.
      for (const [name, item] of held) if (item.until <= now) drop(name, item);
      for (const [name, item] of held) {
        if (bytes <= maxBytes) break;
        drop(name, item);
      }
    },
    delete(key) {
      const item = held.get(key);
      if (item !== undefined) drop(key, item);
    },
    deletePrefix(prefix) {
      for (const [name, item] of held) if (name.startsWith(prefix)) drop(name, item);
    },
  };
}

/** What an entry costs: its body, its fields and key, and a little for the objects around them. */
function sizeOf(key: string, entry: CacheEntry): number {
  let size = 128 + key.length + entry.body.byteLength;
  const head = entry.head;
  if ('headers' in head) for (const [name, value] of head.headers) size += name.length + value.length + 16;
  return size;
}
