/**
 * A pooled, keep-alive HTTP/1.1 client for the edge's reverse proxy on
 * Node, on undici's `dispatch` API.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectionTokens, staysOnConnection } from '@gatehouse/core';
import { readClientBody, type TransportOptions, type UpstreamRequest } from '@gatehouse/edge';
import { Agent, type Dispatcher } from 'undici';
import { toTransportError } from './_transport-errors.ts';
import { BODY_STRATEGY } from './_response-body.ts';
import { upgradeOf, upstreamUpgraded } from './_upgrade.ts';
import type { PooledTransport } from './pooled-transport.ts';

/** Options of {@link undiciTransport}. */
export interface UndiciTransportOptions {
  /** Connections per upstream server at most. Defaults to no limit (requests never queue). */
  connections?: number;
  /**
   * Milliseconds an idle keep-alive connection is kept. Defaults to 4 s;
   * a server's `Keep-Alive: timeout=…` hint lowers it (minus 1 s), so that
   * a connection the server is about to close is not reused.
   */
  keepAliveTimeout?: number;
  /**
   * Milliseconds allowed between two chunks of a response body. Defaults
   * to 0, none: a stream (server-sent events) may stay quiet for as long
   * as it likes, as an App's response may under `@gatehouse/node`.
   */
  bodyTimeout?: number;
}

/** What {@link undiciTransport} returns. */
export type UndiciTransport = PooledTransport;

/**
 * A `Transport` for `@gatehouse/edge`'s proxy on Node: undici's `dispatch`
 * over a keep-alive connection pool per upstream server (HTTP/1.1, no
 * pipelining), with a real `connectTimeout` (undici's connect timer) and
 * `responseTimeout` (undici's `headersTimeout`, counted from the moment
 * the request is written, connecting excluded). Bodies stream both ways
 * with backpressure: the request body is read from the client only as the
 * upstream socket takes it, and the response is a genuine web `Response`
 * whose body pauses the upstream socket once 64 KiB wait unread.
 * Responses pass through as they came: compressed bodies stay compressed.
 *
 * undici's failures become `TransportError`s (by shape) of kind:
 * 'connect' (ECONNREFUSED, ENOTFOUND, EHOSTUNREACH…), 'connect-timeout'
 * (UND_ERR_CONNECT_TIMEOUT), 'timeout' (UND_ERR_HEADERS_TIMEOUT) and
 * 'reset' (ECONNRESET, UND_ERR_SOCKET and anything else from the
 * connection). A failure of the client's own body (it left, or sent too
 * much) is passed on as it is, never blamed on the server.
 *
 * A WebSocket handshake (a GET with `Upgrade` and `Connection: upgrade`,
 * as the proxy forwards it) goes out as an upgrade: a 101 comes back as a
 * Response whose `status` reads 101 and that carries the upstream socket
 * (see `upgradedResponse` in `@gatehouse/node`), which `serve` pipes to
 * the client's; any other answer (403, 404…) comes back as the ordinary
 * Response it is. The upgraded socket leaves the pool and is not timed.
 *
 * @example
 * ```ts
 * import { createPool, createProxy } from '@gatehouse/edge'
 * import { serve } from '@gatehouse/node'
 * import { undiciTransport } from '@gatehouse/edge-node/transport'
 *
 * const pool = createPool({ name: 'app', servers: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'] })
 * const transport = undiciTransport()
 * const server = await serve(createProxy(pool, { transport }), { port: 8080 })
 * process.once('SIGTERM', async () => {
 *   await server.close()
 *   await transport.close()
 * })
 * ```
 */
export function undiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const agents = new Map<string, Agent>();
  const bodyTimeout = options.bodyTimeout ?? 0;
  const agentOptions: Agent.Options = {
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeout ?? 4_000,
    keepAliveTimeoutThreshold: 1_000,
    connections: options.connections ?? null,
    bodyTimeout,
  };
  // One agent per connect timeout (undici sets it per agent, pools set it per pool), and per unix socket.
  const agentFor = (connectTimeout: number, socketPath: string | undefined): Agent => {
    const key = socketPath === undefined ? String(connectTimeout) : `${connectTimeout} ${socketPath}`;
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = new Agent({ ...agentOptions, connectTimeout, ...(socketPath === undefined ? {} : { connect: { socketPath } }) });
      agents.set(key, agent);
    }
    return agent;
  };

  const transport = (request: UpstreamRequest, exchangeOptions: TransportOptions): Promise<Response> => {
    const { signal } = exchangeOptions;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const url = request.url;
      const pathStart = url.indexOf('/', url.indexOf('//') + 2);
      const exchange = new DispatchExchange(resolve, reject, request.method, request.body, exchangeOptions.clientBodyTimeout, signal);
      // A WebSocket handshake is always a GET (RFC 6455 §4.1).
      const upgrade = request.method === 'GET' ? upgradeOf(request.headers) : undefined;
      agentFor(exchangeOptions.connectTimeout, request.socket).dispatch(
        {
          origin: pathStart === -1 ? url : url.slice(0, pathStart),
          path: pathStart === -1 ? '/' : url.slice(pathStart),
          method: request.method as Dispatcher.HttpMethod,
          headers: upgrade === undefined ? (request.headers as string[]) : upgrade.headers,
          upgrade: upgrade?.protocol,
          body: exchange.requestBody as unknown as Dispatcher.DispatchOptions['body'],
          headersTimeout: exchangeOptions.responseTimeout,
          bodyTimeout,
        },
        exchange,
      );
    });
  };
  transport.stripsHopByHop = true as const;
  transport.unixSockets = true as const;
  transport.close = async (): Promise<void> => {
    const closing = [...agents.values()].map((agent) => agent.close());
    agents.clear();
    await Promise.all(closing);
  };
  return transport;
}

/**
 * One exchange, as undici's dispatch handler: resolves with the Response
 * once its head arrived, then feeds its body stream.
 */
class DispatchExchange implements Dispatcher.DispatchHandler {
  readonly #resolve: (response: Response) => void;
  readonly #reject: (error: unknown) => void;
  readonly #method: string;
  readonly #signal: AbortSignal | undefined;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  #answered = false;
  #done = false;
  /** Read from the client lazily: see {@link ClientBody}. */
  readonly requestBody: ClientBody | null;

  constructor(
    resolve: (response: Response) => void,
    reject: (error: unknown) => void,
    method: string,
    body: ReadableStream<Uint8Array> | null,
    clientBodyTimeout: number,
    signal: AbortSignal | undefined,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#method = method;
    this.#signal = signal;
    this.requestBody = body === null ? null : new ClientBody(body, clientBodyTimeout);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) controller.abort(signal.reason as Error);
    else signal.addEventListener('abort', this);
  }

  /** The client left: abort the exchange, its response body included. */
  handleEvent(): void {
    this.#controller?.abort(this.#signal!.reason as Error);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusText?: string,
  ): void {
    if (status < 200) return; // 103 Early Hints and the like: the final head follows
    // This exchange is the body's underlying source (start, pull, cancel): no closures per response.
    const body = this.#method === 'HEAD' || status === 204 || status === 205 || status === 304 ? null : new ReadableStream<Uint8Array>(this, BODY_STRATEGY);
    let response: Response;
    try {
      response = new Response(body, statusText === undefined || statusText === '' ? { status } : { status, statusText });
    } catch (error) {
      controller.abort(error as Error);
      return;
    }
    const target = response.headers;
    const connection = headers.connection;
    const named = typeof connection === 'string' ? connectionTokens(connection) : undefined;
    for (const name in headers) {
      if (staysOnConnection(name, named)) continue;
      const value = headers[name]!;
      if (typeof value === 'string') target.append(name, value);
      else for (const each of value) target.append(name, each);
    }
    this.#answered = true;
    this.#resolve(response);
  }

  /** Only for an upgrade request, when the server switched protocols. */
  onRequestUpgrade(_controller: Dispatcher.DispatchController, _status: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#finish();
    this.#answered = true;
    this.#resolve(upstreamUpgraded(headers, socket));
  }

  /** The body stream's source: it starts. */
  start(stream: ReadableStreamDefaultController<Uint8Array>): void {
    this.#stream = stream;
  }

  /** The body stream's source: the client wants more. */
  pull(): void {
    this.#controller?.resume();
  }

  /** The body stream's source: the client will read no more (it left). */
  cancel(reason: unknown): void {
    if (!this.#done) this.#controller?.abort(reason instanceof Error ? reason : new Error('response body cancelled'));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    stream.enqueue(chunk);
    if (stream.desiredSize! <= 0) controller.pause();
  }

  onResponseEnd(): void {
    this.#finish();
    this.#stream?.close();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish();
    if (this.#answered) {
      this.#stream?.error(error);
      return;
    }
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#reject(signal.reason);
      return;
    }
    const body = this.requestBody;
    if (body?.error !== undefined) {
      // The client's body failed (it left, or sent too much): not the server's doing.
      this.#reject(body.error);
      return;
    }
    this.#reject(toTransportError(error, body !== null && body.started));
  }

  #finish(): void {
    this.#done = true;
    this.#signal?.removeEventListener('abort', this);
  }
}

/**
 * The client's body as the async iterable undici writes from. It takes the
 * stream's reader only when undici starts writing the body, i.e. once
 * connected: an exchange that failed before leaves the stream unlocked,
 * so the proxy may send it to another server.
 */
class ClientBody implements AsyncIterable<Uint8Array> {
  readonly #stream: ReadableStream<Uint8Array>;
  readonly #timeout: number;
  started = false;
  /** Why reading the client's body failed (it left, sent too much, or stalled), if it did. */
  error: unknown = undefined;

  constructor(stream: ReadableStream<Uint8Array>, timeout: number) {
    this.#stream = stream;
    this.#timeout = timeout;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.started = true;
    const reader = this.#stream.getReader();
    return {
      next: async () => {
        try {
          return (await readClientBody(reader, this.#timeout)) as IteratorResult<Uint8Array>;
        } catch (error) {
          this.error = error;
          throw error;
        }
      },
      return: async () => {
        // The exchange failed while sending: nobody can read this body again.
        reader.cancel().catch(() => {});
        return { done: true, value: undefined };
      },
    };
  }
}
