import type { HeadAnswer } from '@gatehouse/core';

/**
 * What the proxy hands a {@link Transport}: one request for one upstream
 * server, already rewritten (path, Host, X-Forwarded-*, hop-by-hop fields
 * removed).
 *
 * It is a plain object rather than a `Request`: building a genuine Request
 * costs more than the rest of a proxied exchange on Node, and a pooled
 * client such as undici takes these fields as they are. A transport that
 * wants a Request (`fetch`) builds one.
 */
export interface UpstreamRequest {
  /** The method, as the client sent it (`GET`, `POST`…). */
  readonly method: string;
  /** Absolute URL: the server's origin, the rewritten path and the client's query. */
  readonly url: string;
  /**
   * Header fields as names and values alternating (`[name, value, name,
   * value…]`, the shape of Node's `rawHeaders`), names in lower case, Host
   * included. Read it, never change it: a retry sends the same list.
   */
  readonly headers: readonly string[];
  /**
   * The body, streamed from the client; `null` without one (always for
   * GET and HEAD). A transport reads it only once it is connected and about
   * to send, and never releases its reader: the proxy retries a request on
   * another server only while the stream is still unlocked, i.e. untouched.
   */
  readonly body: ReadableStream<Uint8Array> | null;
  /** The unix socket to connect to instead of the URL's host and port, for a server that has one. */
  readonly socket?: string | undefined;
}

/**
 * How the edge sends a request to one upstream server and gets the
 * response head back. The response body streams afterwards; cancelling it
 * must cancel the exchange. Redirects are never followed.
 *
 * The default is {@link fetchTransport} (the runtime's `fetch`); on Node,
 * `undiciTransport()` from `@gatehouse/edge-node/transport` is faster and tells
 * connect timeouts apart from response timeouts.
 *
 * It resolves with the upstream's response whatever its status, and
 * rejects with a {@link TransportError} when no response head arrived, or
 * with `signal`'s reason once `signal` aborts (the client left). Any other
 * rejection is a bug in the edge or the transport: the proxy lets it
 * through and does not count it against the server.
 *
 * @example
 * ```ts
 * import { fetchTransport, type Transport } from '@gatehouse/edge'
 *
 * // A transport that logs every exchange around the default one.
 * const logged: Transport = async (request, options) => {
 *   const started = Date.now()
 *   try {
 *     return await fetchTransport(request, options)
 *   } finally {
 *     console.log(request.method, request.url, Date.now() - started, 'ms')
 *   }
 * }
 * ```
 */
export type Transport = ((request: UpstreamRequest, options: TransportOptions) => Promise<Response>) & {
  /**
   * `true` when the responses it resolves with carry no hop-by-hop field
   * already, so the proxy need not look for them (`undiciTransport` says
   * so; `fetch` responses do carry them).
   */
  readonly stripsHopByHop?: boolean;
  /**
   * The same exchange, with the response as a {@link HeadAnswer} rather
   * than a `Response` (its body whole when it had all arrived with the
   * head, else streamed; null for HEAD), hop-by-hop fields removed. When a
   * transport has it, the edge proxies the GETs and HEADs a server hands
   * it by their head (`ANSWER_HEAD`) without making a `Request` or a
   * `Response` (`http1Transport` has it). Only a transport that says
   * `stripsHopByHop` is asked so.
   */
  readonly answer?: (request: UpstreamRequest, options: TransportOptions) => Promise<HeadAnswer>;
  /** `true` when it connects to {@link UpstreamRequest.socket} (servers with a `socket`); a pool with one needs such a transport. */
  readonly unixSockets?: boolean;
};

/** The limits of one exchange, from the pool's configuration and the client. */
export interface TransportOptions {
  /**
   * Milliseconds to establish the connection; past it the transport
   * rejects with a `TransportError` of kind 'connect-timeout'. 0: none.
   */
  readonly connectTimeout: number;
  /**
   * Milliseconds from having sent the whole request, body included, to
   * the response head; past it: kind 'timeout'. While the client's body is
   * still being passed on, the server is not timed: a slow client is not
   * a slow server. The body that follows the head is not timed. 0: none.
   */
  readonly responseTimeout: number;
  /**
   * Milliseconds the client may leave its body silent while it is being
   * passed on (nginx's `client_body_timeout`); past it the transport
   * rejects with a {@link ClientTimeoutError}, which the proxy answers
   * with 408 and never counts against the server. Read the body with
   * {@link readClientBody} to keep it. 0: none.
   */
  readonly clientBodyTimeout: number;
  /** Aborts the exchange, the response body included: the client left. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Why an exchange with an upstream server failed before a response head
 * arrived:
 *
 * - `connect`: no connection (refused, unreachable, unknown host). Nothing
 *   of the request was sent.
 * - `connect-timeout`: the connection was not established within
 *   `connectTimeout`. Nothing of the request was sent.
 * - `timeout`: connected, the request (its head at least) was sent, and no
 *   response head came within `responseTimeout`.
 * - `reset`: the connection broke after the request was (perhaps partly)
 *   sent, or failed in a way the transport cannot place.
 *
 * nginx's `proxy_next_upstream` calls the first and last `error` and the
 * middle two `timeout`; so does a pool's `retry.on`.
 */
export type TransportFailure = 'connect' | 'connect-timeout' | 'timeout' | 'reset';

const FAILURES: ReadonlySet<string> = new Set<TransportFailure>(['connect', 'connect-timeout', 'timeout', 'reset']);

/**
 * The error a {@link Transport} rejects with when the exchange failed
 * before a response head arrived.
 *
 * The proxy recognises it by its shape (`name` 'TransportError', a known
 * `kind`, a boolean `bodySent`), not by `instanceof`, so a transport in
 * another package need not import this class, and two copies of this
 * package agree.
 *
 * @example
 * ```ts
 * throw new TransportError('connect', 'connection refused by 10.0.0.7:8080', { cause: error })
 * ```
 */
export class TransportError extends Error {
  readonly kind: TransportFailure;
  /**
   * Whether any of the request body had been read from its stream: a
   * request whose body was touched is never retried, since a stream cannot
   * be sent twice.
   */
  readonly bodySent: boolean;
  constructor(kind: TransportFailure, message: string, options?: ErrorOptions & { bodySent?: boolean }) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
    this.bodySent = options?.bodySent ?? false;
  }
}

/** Whether `error` is a {@link TransportError}, from this package or any look-alike. */
export function isTransportError(error: unknown): error is TransportError {
  return (
    error instanceof Error &&
    error.name === 'TransportError' &&
    FAILURES.has((error as TransportError).kind) &&
    typeof (error as TransportError).bodySent === 'boolean'
  );
}

/** Whether a failure of this kind is a timeout (answered 504 when it is the last) rather than an error (502). */
export function isTimeout(kind: TransportFailure): boolean {
  return kind === 'timeout' || kind === 'connect-timeout';
}

/** Whether a failure of this kind happened before anything of the request was sent. */
export function beforeSending(kind: TransportFailure): boolean {
  return kind === 'connect' || kind === 'connect-timeout';
}

/**
 * Error codes of Node's network stack and of undici, by what they mean for
 * a retry. Workers' fetch has no codes: its failures are all 'reset',
 * which retries idempotent requests only.
 */
const CODES: ReadonlyMap<string, TransportFailure | 'bug'> = new Map<string, TransportFailure | 'bug'>([
  ['ECONNREFUSED', 'connect'],
  ['ENOTFOUND', 'connect'],
  ['EAI_AGAIN', 'connect'],
  ['EAI_FAIL', 'connect'],
  ['EAI_NONAME', 'connect'],
  ['EHOSTUNREACH', 'connect'],
  ['EHOSTDOWN', 'connect'],
  ['ENETUNREACH', 'connect'],
  ['EADDRNOTAVAIL', 'connect'],
  // A unix socket's file is missing, or may not be opened.
  ['ENOENT', 'connect'],
  ['EACCES', 'connect'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout'],
  ['ETIMEDOUT', 'connect-timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ['ECONNRESET', 'reset'],
  ['EPIPE', 'reset'],
  ['UND_ERR_SOCKET', 'reset'],
  ['UND_ERR_CLOSED', 'reset'],
  ['UND_ERR_INVALID_ARG', 'bug'],
  ['UND_ERR_NOT_SUPPORTED', 'bug'],
  ['ERR_INVALID_ARG_TYPE', 'bug'],
  ['ERR_INVALID_ARG_VALUE', 'bug'],
  ['ERR_INVALID_URL', 'bug'],
]);

/**
 * What an error code of Node's network stack or undici means for an
 * exchange: the kind of failure, 'bug' for a request that should never
 * have been made (the transport's or the edge's fault, not the server's),
 * or undefined for a code it does not know. For transports on Node.
 */
export function failureOfCode(code: string): TransportFailure | 'bug' | undefined {
  const kind = CODES.get(code);
  if (kind !== undefined) return kind;
  // A certificate refused, or a TLS handshake failed: nothing of the request went out.
  if (code.startsWith('ERR_TLS') || code.includes('CERT')) return 'connect';
  return undefined;
}

/**
 * The client sent nothing of its body for `clientBodyTimeout` ms while the
 * edge was passing it on: the client's failure, not the server's. The
 * proxy answers 408 and counts nothing against the server. Recognised by
 * its `name`, like {@link TransportError}.
 */
export class ClientTimeoutError extends Error {
  readonly timeout: number;
  constructor(timeout: number) {
    super(`the client sent nothing of its body for ${timeout} ms`);
    this.name = 'ClientTimeoutError';
    this.timeout = timeout;
  }
}

/** Whether `error` is a {@link ClientTimeoutError}, from any copy of this package. */
export function isClientTimeout(error: unknown): error is ClientTimeoutError {
  return error instanceof Error && error.name === 'ClientTimeoutError';
}

/** What one read of the client's body gives: a piece, or the end. */
export type ClientBodyRead = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

/**
 * The next piece of the client's body, or a {@link ClientTimeoutError}
 * (the reader cancelled with it) when none came within `timeout` ms (0:
 * no limit). Every transport reads the client's body through it, so a
 * client that stalls is answered 408 on each of them alike.
 */
export function readClientBody(reader: ReadableStreamDefaultReader<Uint8Array>, timeout: number): Promise<ClientBodyRead> {
  if (timeout <= 0) return reader.read();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new ClientTimeoutError(timeout);
      reader.cancel(error).catch(() => {});
      reject(error);
    }, timeout);
    reader.read().then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
