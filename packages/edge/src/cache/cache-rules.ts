import type { CacheStore } from './cache-store.ts';

/**
 * A proxy route's cache (nginx's `proxy_cache`), kept by HTTP's caching
 * rules for a shared cache (RFC 9111): what the origin says in
 * `Cache-Control` (`s-maxage`, `max-age`, `private`, `no-store`,
 * `no-cache`, `must-revalidate`, `stale-while-revalidate`,
 * `stale-if-error`), `Expires` and `Vary` decides what is kept and for how
 * long; stale responses are revalidated with `If-None-Match` /
 * `If-Modified-Since`. What the client says in its own `Cache-Control` is
 * not obeyed (as nginx does not): else any client could empty the cache
 * onto the origin.
 *
 * Never kept: responses with `Set-Cookie` (as nginx), `Vary: *`, 206
 * parts, and answers to requests with `Authorization` unless the
 * response says `public`, `s-maxage` or `must-revalidate`.
 */
export interface CacheRules {
  /** Where entries are kept: `memoryCacheStore()`, `workersCacheStore()` (Workers), `redisCacheStore(client)` (Node). */
  readonly store: CacheStore;
  /**
   * A request's key (nginx's `proxy_cache_key`); defaults to its URL
   * (scheme, host, path and query). `Vary` is applied on top of any key,
   * so a key that leaves a field out cannot serve one client's variant to
   * another.
   */
  readonly key?: (request: Request) => string;
  /**
   * Seconds a response is fresh when it says nothing of its own (no
   * `s-maxage`, `max-age` or `Expires`), by status (nginx's
   * `proxy_cache_valid`): `{ 200: 60, 404: 5 }`, or one number for 200,
   * 203, 204, 300, 301, 308, 404, 405, 410, 414 and 501. Unset: such a
   * response is fresh for 0 s (kept only to be revalidated).
   */
  readonly ttl?: number | Readonly<Record<number, number>>;
  /**
   * Heuristic freshness (RFC 9111 §4.2.2): this fraction of the time since
   * `Last-Modified`, for a response with no freshness of its own and no
   * `ttl`. Off unless given; 0.1 is the usual choice.
   */
  readonly heuristic?: number;
  /**
   * Seconds a stale response may still be served while one request in the
   * background refreshes it, when the response's own
   * `stale-while-revalidate` says nothing. Defaults to 0.
   */
  readonly staleWhileRevalidate?: number;
  /**
   * Seconds a stale response may still be served when the origin fails
   * (a 500, 502, 503 or 504, or no server answers), when the response's
   * own `stale-if-error` says nothing (nginx's `proxy_cache_use_stale
   * error timeout http_5xx`). Defaults to 0.
   */
  readonly staleIfError?: number;
  /**
   * Seconds a stale response with an `ETag` or `Last-Modified` is kept
   * past its freshness, to be revalidated rather than fetched again
   * (nginx's `inactive`). Defaults to 600.
   */
  readonly keep?: number;
  /** Bytes of the largest body kept; larger ones go through uncached. Defaults to 8 MiB. */
  readonly maxSize?: number;
  /**
   * Milliseconds a request waits for another request's fetch of the same
   * key before going to the origin itself (nginx's `proxy_cache_lock`):
   * concurrent misses become one origin request. Defaults to 5000; 0: off.
   */
  readonly lockTimeout?: number;
  /** Requests that skip the cache, answered from the origin and never kept (`BYPASS`), e.g. those with a session cookie. */
  readonly bypass?: (request: Request) => boolean;
  /** The response field that says HIT, MISS, EXPIRED, STALE, UPDATING, REVALIDATED or BYPASS. Defaults to `x-cache-status`; false: none. */
  readonly statusHeader?: string | false;
  /**
   * Answer `PURGE` requests on the route, guarded like the status page:
   * `PURGE /path?q` drops that URL's entry (every variant), and
   * `PURGE /blog/*` every entry whose key starts with `/blog/` on that
   * host. Off unless given.
   */
  readonly purge?: { readonly access?: readonly string[]; readonly token?: string };
}

/** What the cache said of an answer (nginx's `$upstream_cache_status`). */
export type CacheStatus = 'HIT' | 'MISS' | 'EXPIRED' | 'STALE' | 'UPDATING' | 'REVALIDATED' | 'BYPASS';
