import type { CacheRules } from '../cache/cache-rules.ts';
import type { Transport } from '../upstream/transport.ts';
import type { BodySpill } from './body-spill.ts';

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
   * nginx's `proxy_request_buffering` and `proxy_buffering`:
   * {@link ProxyBuffering}. On by default, as in nginx, so that a slow
   * client holds the edge and not a server: 64 KiB of each body in memory,
   * and on Node a longer request body in a temp file. `false` streams both
   * ways in step with the client; a field set to 0 streams that way only
   * (`{ response: 0 }` for server-sent events that must not wait).
   */
  readonly buffering?: ProxyBuffering | false;
  /**
   * Keep the pool's answers and serve them again (nginx's `proxy_cache`),
   * by HTTP's caching rules: see {@link CacheRules}. Off unless given.
   */
  readonly cache?: CacheRules;
}

/** What a proxy reads ahead when its route says nothing: nginx's way, a slow client never holds a server. */
export const BUFFERED: ProxyBuffering = Object.freeze({ request: 64 * 1024, requestFile: Infinity, response: 64 * 1024 });
/** `buffering: false`: both bodies in step with the client. */
export const STREAMED: ProxyBuffering = Object.freeze({ request: 0, requestFile: 0, response: 0 });

/**
 * How much of the bodies a proxy reads ahead (nginx's
 * `proxy_request_buffering` and `proxy_buffering`); a field not given
 * keeps its default ({@link BUFFERED}: 64 KiB in memory each way, and the
 * whole request body in a file when there is a `spill`). 0 streams in step
 * with the client, as uploads that must reach the server as they are sent
 * want.
 */
export interface ProxyBuffering {
  /**
   * Bytes of the client's body held in memory (nginx's
   * `client_body_buffer_size`): the body is read before any server is
   * asked, so a slow uploader holds no server; a body read whole is sent
   * again on a retry. A longer body goes to a file if `requestFile` allows,
   * else on as what was read, then the rest streamed.
   */
  readonly request?: number;
  /**
   * The longest body, in bytes, read ahead into a file when it is past
   * `request` (nginx's `client_body_temp_path`): the whole body goes there
   * as it arrives (the file written in step with the client, under
   * `clientBodyTimeout`), then to the server with its Content-Length,
   * read from the file again for each retry; the file is removed when the
   * exchange is over, however it ends. A longer body goes on as the file's
   * part, then the rest streamed. `Infinity`: as long as the body limits
   * allow (`maxBodySize`, and the server's own). Needs `spill`; without one
   * (Workers) it has no effect.
   */
  readonly requestFile?: number;
  /**
   * Where `requestFile` bodies go. `defineEdge` from `@gatehouse/edge-node`
   * gives every route its `fileSpill()` (temp files in the OS's temp
   * folder) unless the config's `bodySpill` or the route names another.
   */
  readonly spill?: BodySpill;
  /**
   * Bytes of the server's body read ahead of a slow client (nginx's
   * `proxy_buffering`), so the server is freed at its own speed; what
   * arrives still reaches the client as soon as it reads.
   */
  readonly response?: number;
}
