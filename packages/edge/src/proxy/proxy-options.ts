import type { CacheRules } from '../cache/cache-rules.ts';
import type { Transport } from '../upstream/transport.ts';

/** How {@link createProxy} and {@link proxy} forward requests to a pool. */
export interface ProxyOptions {
  /**
   * How requests reach URL servers. Defaults to `fetchTransport` (the
   * runtime's fetch); on Node, `undiciTransport()` from
   * `@gatehouse/edge-node/transport` is faster and has a real connect timeout.
   */
  readonly transport?: Transport;
  /**
   * The Host sent upstream: `'upstream'` (the default, the server URL's
   * host, like nginx's `proxy_set_header Host $proxy_host`), `'client'`
   * (the client's, like `proxy_set_header Host $host`), or a fixed value.
   * Service-binding and in-process servers always get the client's URL,
   * so `'upstream'` means the client's Host for them.
   */
  readonly host?: 'upstream' | 'client' | (string & {});
  /**
   * Remove this prefix from the path, on a segment boundary: `/api` makes
   * `/api/users` → `/users` and `/api` → `/`, and leaves `/apix` alone.
   */
  readonly stripPrefix?: string;
  /**
   * Rewrite the path: `{ prefix, replacement }` replaces a leading prefix,
   * as nginx's `location /old/ { proxy_pass http://x/new/; }` does
   * (`/old/a` → `/new/a`; paths without the prefix go as they are); a
   * function gets the path (percent-encoded, without the query) and returns
   * the new one, which may bring its own `?query` in place of the client's.
   * The client's query is kept otherwise. A server URL's own path
   * (`http://x/base/`) is prefixed after the rewrite.
   */
  readonly rewrite?: { readonly prefix: string; readonly replacement: string } | ((path: string, request: Request) => string);
  /**
   * Called with every failed exchange (a `TransportError`: refused,
   * timed out, reset) and the server's id (never shown to the client).
   * Defaults to a one-line `console.warn`, like nginx's error log.
   */
  readonly onError?: (error: Error, server: string, pool: string) => void;
  /**
   * Milliseconds the client may leave its body silent while it is passed
   * on (nginx's `client_body_timeout`); past it the client gets 408 and
   * the server is not counted as failed. Defaults to 60 s; 0: no limit.
   * Meanwhile the server is not timed: a pool's `responseTimeout` bounds
   * only the stretches spent waiting for the server.
   */
  readonly clientBodyTimeout?: number;
  /**
   * nginx's `proxy_request_buffering` and `proxy_buffering`, in bytes held
   * in memory. `request`: the client's body is read before any server is
   * asked, up to this many bytes (a longer body goes on as what was read,
   * then the rest streamed), so a slow uploader holds no server; a body
   * read whole is sent again on a retry. `response`: the server's body is
   * read ahead of a slow client by up to this many bytes, so the server is
   * freed at its own speed. Both default to 0: streamed in step with the
   * client, as server-sent events, large downloads and uploads want.
   */
  readonly buffering?: { readonly request?: number; readonly response?: number };
  /**
   * Keep the pool's answers and serve them again (nginx's `proxy_cache`),
   * by HTTP's caching rules: see {@link CacheRules}. Off unless given.
   */
  readonly cache?: CacheRules;
}
