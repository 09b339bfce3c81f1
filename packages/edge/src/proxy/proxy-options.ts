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
}
