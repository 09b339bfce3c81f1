import type { Server as HttpServer, ServerOptions as HttpServerOptions } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { IncomingRequest } from './types.ts';

/**
 * Which peers to believe when they say, in `X-Forwarded-For` and
 * `X-Forwarded-Proto`, who the client is and which scheme it used.
 *
 * - `false` (the default): nobody; the client is the socket's peer.
 * - `true`: every hop; the client is the leftmost address. Only behind a
 *   proxy that overwrites the header, never where clients reach you directly.
 * - a number `n`: the last `n` hops are your own proxies.
 * - a function: called with each hop's address from the socket's peer
 *   leftwards; return `true` while the address is a proxy of yours
 *   (plug a CIDR matcher in here).
 */
export type TrustProxy = boolean | number | ((address: string) => boolean);

/** Called with every error an App throws, errors writing a response, and failed `waitUntil` work. */
export type ErrorHook = (error: unknown, request: IncomingRequest) => void;

/** Options of {@link createListener}. */
export interface ListenerOptions<Env = {}> {
  /** The `env` every call of the App receives. Defaults to `process.env`. */
  env?: Env;
  /**
   * The largest request body accepted, in bytes; larger ones are answered
   * with 413 without being read into memory. Defaults to 10 MiB.
   * `Infinity` turns the limit off. It also bounds what is read and
   * dropped of a body the App left unread, so that the connection can
   * serve its next request: past it the connection is closed.
   */
  maxBodySize?: number;
  /** Whom to believe about the client's address. Defaults to `false`. */
  trustProxy?: TrustProxy;
  /**
   * Called with errors the App throws (the client gets a bare 500), errors
   * while a response streams, and failed `waitUntil` work. Defaults to
   * `console.error`.
   */
  onError?: ErrorHook;
  /**
   * Milliseconds the App has to answer, i.e. to return its Response
   * (gunicorn's `timeout`, uWSGI's `harakiri`). Past it the request's
   * `signal` aborts with a `TimeoutError`, the client gets 504 and the
   * error hook a `HandlerTimeoutError`; whatever the App answers
   * later is dropped. A body still streaming after the App answered is not
   * timed (server-sent events may stream for hours). Off by default;
   * `gatehouse start` sets 30 s.
   */
  handlerTimeout?: number;
}

/** Options of {@link serve}. */
export interface ServeOptions<Env = {}> extends ListenerOptions<Env> {
  /** The port to listen on; 0 picks a free one. Defaults to 3000. */
  port?: number;
  /** The address to listen on. Defaults to `127.0.0.1`, like gunicorn. */
  hostname?: string;
  /**
   * Milliseconds a client has to send the whole header block (Node's
   * `headersTimeout`); a slower one gets 408. Defaults to 30 s. Checked
   * every second, so it holds within one.
   */
  headersTimeout?: number;
  /**
   * Milliseconds a client has to send the whole request, body included
   * (Node's `requestTimeout`); a slower one gets 408, even while the App
   * waits for the body, and the connection closes. Defaults to 5 min.
   */
  requestTimeout?: number;
  /** Milliseconds an idle keep-alive connection stays open. Defaults to 5 s. */
  keepAliveTimeout?: number;
  /**
   * Milliseconds `close()` waits for in-flight requests and `waitUntil`
   * work before it closes what is left. Defaults to 30 s (gunicorn's
   * `graceful_timeout`).
   */
  gracefulTimeout?: number;
  /**
   * Milliseconds an upgraded connection (a WebSocket) may stay silent both
   * ways before both sides are closed, as nginx's `proxy_read_timeout`
   * does for a tunnel. Defaults to 0: no limit (WebSocket pings count as
   * traffic).
   */
  upgradeIdleTimeout?: number;
  /** Further options for `http.createServer`. */
  serverOptions?: HttpServerOptions;
  /**
   * Terminate TLS, as nginx does in front of an app server: HTTPS with
   * HTTP/2 for clients that offer it (ALPN) and HTTP/1.1 for the rest.
   * PEM text or buffers; read files with `readFileSync` (or give
   * `certFile` and `keyFile`).
   */
  tls?: TlsOptions;
  /**
   * With `tls`: also listen for plain HTTP on this port and redirect every
   * request there to the same URL over HTTPS (308, so methods and bodies
   * are kept), as an nginx `return 301 https://…` server block does.
   */
  redirectHttp?: number;
}

/** Certificate and key for {@link ServeOptions.tls}. */
export type TlsOptions =
  | { cert: string | Uint8Array; key: string | Uint8Array; certFile?: never; keyFile?: never }
  | { certFile: string; keyFile: string; cert?: never; key?: never };

/** A running server, as {@link serve} returns it. */
export interface NodeServer {
  /** The bound address as a URL, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The underlying server: `node:http`'s, or `node:http2`'s secure one with `tls`. */
  readonly server: HttpServer | Http2SecureServer;
  /** With `redirectHttp`: the plain HTTP server that redirects to HTTPS. */
  readonly redirectServer?: HttpServer;
  /**
   * Stop accepting connections, let in-flight requests and `waitUntil` work
   * finish, then close what is left once `gracefulTimeout` has passed.
   */
  close(): Promise<void>;
}
