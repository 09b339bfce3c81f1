/**
 * Where the proxy cache keeps responses. The cache's rules (RFC 9111:
 * freshness, Vary, revalidation) are worked out once, in `http-cache.ts`;
 * a store only keeps entries by key for as long as it is told, so a store
 * for another engine is four methods.
 *
 * Stores: {@link memoryCacheStore} (this process or isolate, bounded in
 * bytes), `workersCacheStore` of `@gatehouse/cloudflare` (the Cache API)
 * and `redisCacheStore` of `@gatehouse/edge-node/redis` (shared by edges
 * on several machines).
 */
export interface CacheStore {
  /** The entry kept under `key`, if it is still kept. */
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /**
   * Keep `entry` under `key` for `keepFor` ms (replacing what was there),
   * after which it may be dropped; a store may drop it sooner (to stay
   * within its bound). Entries are never changed once given: a store may
   * hand out the very object it was given.
   */
  put(key: string, entry: CacheEntry, keepFor: number): void | Promise<void>;
  /** Drop the entry under `key`, if any. */
  delete(key: string): void | Promise<void>;
  /** Drop every entry whose key starts with `prefix` (purge by prefix). */
  deletePrefix(prefix: string): void | Promise<void>;
}

/** What a store keeps under a key: a response, or which request fields pick a variant of one. */
export interface CacheEntry {
  readonly head: StoredResponseHead | VariantsHead;
  /** The response's body; empty for a {@link VariantsHead}. */
  readonly body: Uint8Array;
}

/**
 * A stored response's head; plain data (a store may keep it as JSON).
 * Times are milliseconds since the epoch.
 */
export interface StoredResponseHead {
  readonly status: number;
  /** Its fields, in order, names lowercased; hop-by-hop fields and Set-Cookie are never kept. */
  readonly headers: readonly (readonly [string, string])[];
  /** When the request that brought it was sent (RFC 9111 §4.2.3's `request_time`). */
  readonly requestTime: number;
  /** When its head arrived (`response_time`), or when a 304 last confirmed it. */
  readonly responseTime: number;
  /**
   * For a response with `Vary`: each field it names (lowercased) and the
   * value the request that brought it sent (null: not sent).
   */
  readonly varied?: Readonly<Record<string, string | null>>;
}

/**
 * Kept under a key whose responses carry `Vary`: the fields it names,
 * lowercased. Each variant is kept under the key followed by the
 * request's values of those fields.
 */
export interface VariantsHead {
  readonly varies: readonly string[];
  /** When the response that named them arrived. */
  readonly responseTime: number;
}

/** Whether `head` is a response's (not a list of Vary fields). */
export function isResponseHead(head: StoredResponseHead | VariantsHead): head is StoredResponseHead {
  return (head as StoredResponseHead).status !== undefined;
}
