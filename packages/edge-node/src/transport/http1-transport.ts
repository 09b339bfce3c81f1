import { Buffer } from 'node:buffer';
import { drained, type HeadAnswer, staysOnConnection } from '@gatehouse/core';
import { readClientBody, takeReadAheadBody, TransportError, type TransportOptions, type UpstreamRequest } from '@gatehouse/edge';
import { wholeBodyStream } from '@gatehouse/node';
import { Connections, type Connection, type ConnectionUser, type Endpoint } from './http1/connections.ts';
import type { ResponseHead } from './http1/response-parser.ts';
import { BODY_STRATEGY } from './_response-body.ts';
import { connectFailure } from './_transport-errors.ts';
import { upgradeOf } from './_upgrade.ts';
import type { PooledTransport } from './pooled-transport.ts';
import { type UndiciTransport, undiciTransport } from './undici-transport.ts';

/** Options of {@link http1Transport}. */
export interface Http1TransportOptions {
  /**
   * Milliseconds an idle keep-alive connection is kept. Defaults to 4 s;
   * a server's `Keep-Alive: timeout=…` hint lowers it (minus 1 s), so that
   * a connection the server is about to close is not reused.
   */
  keepAliveTimeout?: number;
  /**
   * Certificates trusted for `https` servers, in place of Node's default
   * list (as `ca` in `node:tls`): for an internal CA.
   */
  ca?: string | readonly string[];
}

/**
 * What {@link http1Transport} returns: a pooled transport that can also
 * answer with a `HeadAnswer` (`Transport.answer` in `@gatehouse/edge`), so
 * that the edge proxies GETs served by `@gatehouse/node` without a Request
 * or a Response.
 */
export type Http1Transport = PooledTransport & {
  readonly answer: (request: UpstreamRequest, options: TransportOptions) => Promise<HeadAnswer>;
};
/** Methods whose request says `Content-Length: 0` when it has no body (as browsers and undici do). */
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

/** Methods sent again on a new connection when a kept-alive one turns out closed (RFC 9110 §9.2.2), without a body. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * A `Transport` for `@gatehouse/edge`'s proxy on Node, leaner than
 * {@link undiciTransport}: its own HTTP/1.1 client over keep-alive `net`
 * (or `tls`) connections, one request at a time on each, with a strict
 * response parser (a malformed response is a failed exchange, never
 * guessed at). It keeps the contract of `undiciTransport`: `connectTimeout`
 * and `responseTimeout` told apart, bodies streamed both ways with
 * backpressure (the client's body is read only once connected), hop-by-hop
 * fields removed, failures as `TransportError`s of kind 'connect',
 * 'connect-timeout', 'timeout' or 'reset' with `bodySent`. A GET on a
 * kept-alive connection that the server had closed meanwhile is sent again
 * on a new one. WebSocket handshakes go through an `undiciTransport` of
 * its own.
 *
 * A response that has arrived whole by the time its head is handed over
 * (most small ones) carries its bytes so that `@gatehouse/node` sends them
 * without reading a stream.
 *
 * @example
 * ```ts
 * import { defineEdge } from '@gatehouse/edge'
 * import { serve } from '@gatehouse/node'
 * import { http1Transport } from '@gatehouse/edge-node/transport'
 *
 * const edge = defineEdge({
 *   transport: http1Transport(),
 *   pools: { app: { servers: ['http://127.0.0.1:8000'] } },
 *   routes: { '/': { proxy: 'app' } },
 * })
 * await serve(edge, { port: 8080 })
 * ```
 */
export function http1Transport(options: Http1TransportOptions = {}): Http1Transport {
  const connections = new Connections(options.keepAliveTimeout ?? 4_000, options.ca);
  const endpoints = new Map<string, Endpoint>();
  let upgrades: UndiciTransport | undefined;

  /** The exchange, resolved with a Response (`asAnswer` false) or a HeadAnswer. */
  const send = <T>(request: UpstreamRequest, exchangeOptions: TransportOptions, asAnswer: boolean): Promise<T> => {
    const { signal } = exchangeOptions;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const url = request.url;
    const pathStart = url.indexOf('/', url.indexOf('//') + 2);
    const origin = pathStart === -1 ? url : url.slice(0, pathStart);
    const path = pathStart === -1 ? '/' : url.slice(pathStart);
    // What goes into the request line must not be able to end it early.
    if (!TOKEN.test(request.method) || !isTarget(path)) {
      return Promise.reject(new TypeError(`http1Transport: not a valid request line: ${JSON.stringify(`${request.method} ${path}`)}`));
    }
    const socket = request.socket;
    const key = socket === undefined ? origin : `${origin} unix:${socket}`;
    let endpoint = endpoints.get(key);
    if (endpoint === undefined) {
      try {
        endpoint = endpointOf(origin, socket, key);
      } catch (error) {
        return Promise.reject(error);
      }
      endpoints.set(key, endpoint);
    }
    const to = endpoint;
    return new Promise<T>((resolve, reject) => {
      new Http1Exchange(connections, to, request, path, exchangeOptions, asAnswer, resolve as (answer: unknown) => void, reject).begin();
    });
  };
  const transport = (request: UpstreamRequest, exchangeOptions: TransportOptions): Promise<Response> => {
    if (request.method === 'GET' && upgradeOf(request.headers) !== undefined) {
      return (upgrades ??= undiciTransport({ keepAliveTimeout: options.keepAliveTimeout }))(request, exchangeOptions);
    }
    return send<Response>(request, exchangeOptions, false);
  };
  transport.stripsHopByHop = true as const;
  transport.unixSockets = true as const;
  // A WebSocket handshake has no answer but a Response; this refuses its Upgrade field (see #send).
  transport.answer = (request: UpstreamRequest, exchangeOptions: TransportOptions): Promise<HeadAnswer> =>
    send<HeadAnswer>(request, exchangeOptions, true);
  transport.close = async (): Promise<void> => {
    connections.close();
    await upgrades?.close();
  };
  return transport;
}

function endpointOf(origin: string, socketPath: string | undefined, key: string): Endpoint {
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`http1Transport speaks http and https, not ${url.protocol}`);
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { key, host, port: url.port === '' ? (secure ? 443 : 80) : Number(url.port), secure, socketPath };
}

/**
 * Where an exchange is, on the response's side. Handed over means the
 * promise has settled: resolved with the answer, or rejected.
 *
 * - `waiting`: connecting, or sent; no response yet.
 * - `arrived`: the response's status and fields are in, not yet handed
 *   over (the rest of this read is parsed first: a small body comes whole).
 * - `ended`: the whole response came before it was handed over.
 * - `broken`: the connection broke after the status and fields came,
 *   before the answer was handed over: its body stream will start with the
 *   failure.
 * - `answered`: handed over, its body still coming.
 * - `done`: handed over and complete.
 * - `failed`: rejected, or broken after it was handed over.
 * - `cancelled`: handed over, and its reader gave up on the body.
 */
type Phase = 'waiting' | 'arrived' | 'ended' | 'broken' | 'answered' | 'done' | 'failed' | 'cancelled';

/** How much of the request went out: its head, some of its body, or all of it (the connection may then carry another). */
type RequestProgress = 'head' | 'body' | 'whole';

/** One request on one connection (or two, when a kept-alive one turns out closed). */
class Http1Exchange implements ConnectionUser {
  readonly #connections: Connections;
  readonly #endpoint: Endpoint;
  readonly #request: UpstreamRequest;
  readonly #path: string;
  readonly #options: TransportOptions;
  /** Resolve with a HeadAnswer rather than a Response. */
  readonly #asAnswer: boolean;
  readonly #resolve: (answer: unknown) => void;
  readonly #reject: (error: unknown) => void;
  #connection: Connection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #phase: Phase = 'waiting';
  #sent: RequestProgress = 'head';
  /** Why reading the client's body failed, if it did. */
  #clientBodyError: unknown;
  #response: ResponseHead | undefined;
  /** Body bytes that came before the answer was handed over. */
  #early: Uint8Array[] | undefined;
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** How the response broke off before its stream existed (phase `broken`). */
  #failure: Error | undefined;

  constructor(
    connections: Connections,
    endpoint: Endpoint,
    request: UpstreamRequest,
    path: string,
    options: TransportOptions,
    asAnswer: boolean,
    resolve: (answer: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.#connections = connections;
    this.#endpoint = endpoint;
    this.#request = request;
    this.#path = path;
    this.#options = options;
    this.#asAnswer = asAnswer;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  begin(): void {
    this.#options.signal?.addEventListener('abort', this);
    const idle = this.#connections.take(this.#endpoint);
    if (idle !== undefined) {
      this.#send(idle);
    } else {
      this.#connect();
    }
  }

  #connect(): void {
    const { connectTimeout } = this.#options;
    const connection = this.#connections.open(
      this.#endpoint,
      (ready) => {
        clearTimeout(this.#timer);
        if (this.#phase === 'failed') {
          this.#connections.release(ready);
          return;
        }
        this.#send(ready);
      },
      (error) => {
        clearTimeout(this.#timer);
        this.#fail(connectFailure(error));
      },
    );
    this.#connection = connection;
    if (connectTimeout > 0) {
      this.#timer = setTimeout(() => {
        connection.socket.destroy();
        this.#fail(new TransportError('connect-timeout', `no connection within ${connectTimeout} ms`, { bodySent: false }));
      }, connectTimeout);
    }
  }

  #send(connection: Connection): void {
    this.#connection = connection;
    connection.user = this;
    connection.uses++;
    // The last exchange may have paused it for a reader that then had all it wanted.
    connection.socket.resume();
    connection.parser.expect(this.#request.method);
    const { method, headers, body } = this.#request;
    let head = `${method} ${this.#path} HTTP/1.1\r\n`;
    let declared = -1;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!TOKEN.test(name) || UNSAFE_VALUE.test(value)) {
        this.#connections.release(connection);
        this.#fail(new TypeError(`http1Transport: not a valid header field: ${JSON.stringify(name)}`));
        return;
      }
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (declared !== -1 && declared !== Number(value))) {
          this.#connections.release(connection);
          this.#fail(new TypeError(`http1Transport: not a valid Content-Length: ${JSON.stringify(value)}`));
          return;
        }
        declared = Number(value);
      } else if (name === 'upgrade') {
        // Handshakes went to undici (see the transport): this one is not a WebSocket's.
        this.#connections.release(connection);
        this.#fail(new TypeError('http1Transport sends an Upgrade field only in a WebSocket handshake (a GET with Connection: upgrade)'));
        return;
      }
      head += `${name}: ${value}\r\n`;
    }
    if (body === null && declared > 0) {
      // The server would read the next request on this connection as the body.
      this.#connections.release(connection);
      this.#fail(new TypeError(`http1Transport: Content-Length ${declared} without a body`));
      return;
    }
    const chunked = body !== null && declared === -1;
    if (chunked) head += 'transfer-encoding: chunked\r\n';
    else if (body === null && declared === -1 && EXPECTS_BODY.has(method)) head += 'content-length: 0\r\n';
    // A body the proxy read whole goes out with the head, in one write, with no reader.
    const whole = body === null ? undefined : takeReadAheadBody(body);
    if (whole !== undefined) {
      if (!chunked && whole.byteLength !== declared) {
        this.#connections.release(connection);
        this.#fail(new TypeError(`http1Transport: a body of ${whole.byteLength} bytes under Content-Length ${declared}`));
        return;
      }
      const socket = connection.socket;
      socket.cork();
      socket.write(chunked ? `${head}\r\n${whole.byteLength.toString(16)}\r\n` : `${head}\r\n`, 'latin1');
      socket.write(whole);
      if (chunked) socket.write('\r\n0\r\n\r\n', 'latin1');
      socket.uncork();
      this.#serverWaits();
      this.#sent = 'whole';
      return;
    }
    connection.socket.write(`${head}\r\n`, 'latin1');
    this.#serverWaits();
    if (body === null) this.#sent = 'whole';
    else void this.#sendBody(connection, body, chunked ? -1 : declared);
  }

  /** Send the client's body, chunked (`declared` -1) or exactly `declared` bytes. */
  async #sendBody(connection: Connection, body: ReadableStream<Uint8Array>, declared: number): Promise<void> {
    const socket = connection.socket;
    const chunked = declared === -1;
    let sent = 0;
    const reader = body.getReader();
    const clientBodyTimeout = this.#options.clientBodyTimeout;
    try {
      for (;;) {
        // Waiting for the client is not waiting for the server (see #serverWaits).
        this.#clientWaits();
        const chunk = await readClientBody(reader, clientBodyTimeout);
        this.#serverWaits();
        if (chunk.done) break;
        if (socket.destroyed || this.#isFinished()) {
          reader.cancel().catch(() => {});
          return;
        }
        const bytes = chunk.value;
        if (bytes.byteLength === 0) continue;
        sent += bytes.byteLength;
        // More than announced would be read by the server as the start of another request.
        if (!chunked && sent > declared) throw new TypeError(`http1Transport: the body is longer than its Content-Length (${declared})`);
        this.#sent = 'body';
        if (chunked) socket.write(`${bytes.byteLength.toString(16)}\r\n`, 'latin1');
        const more = socket.write(bytes);
        if (chunked) socket.write('\r\n', 'latin1');
        if (!more) await drained(socket);
      }
      if (!chunked && sent !== declared) throw new TypeError(`http1Transport: the body is shorter than its Content-Length (${declared})`);
      if (chunked && !socket.destroyed) socket.write('0\r\n\r\n', 'latin1');
      this.#sent = 'whole';
    } catch (error) {
      // The client's body failed (it left, or sent too much): not the server's doing.
      this.#clientBodyError = error;
      socket.destroy();
      this.#fail(error);
    }
  }

  /**
   * The server's clock, `responseTimeout`: it runs while this exchange
   * waits for the server (to take the body, then to answer), and stops
   * while the body waits for the client, which `clientBodyTimeout` bounds
   * instead. A slow client is never a slow server.
   */
  #serverWaits(): void {
    const { responseTimeout } = this.#options;
    if (responseTimeout <= 0 || this.#phase !== 'waiting') return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#timedOut, responseTimeout);
  }

  #clientWaits(): void {
    clearTimeout(this.#timer);
  }

  readonly #timedOut = (): void => {
    this.#connection?.socket.destroy();
    this.#fail(new TransportError('timeout', `no response head within ${this.#options.responseTimeout} ms`, { bodySent: this.#bodySent() }));
  };

  /** The signal fired: the client left. */
  handleEvent(): void {
    this.#connection?.socket.destroy();
    const reason = this.#options.signal!.reason as unknown;
    if (!this.#handedOver()) this.#fail(reason);
    else this.#stream?.error(reason);
  }

  onHead(head: ResponseHead): void {
    clearTimeout(this.#timer);
    this.#response = head;
    this.#phase = 'arrived';
    if (head.framing === 'none') {
      // Nothing follows: answer at once.
      this.#deliver();
      return;
    }
    this.#early = [];
    // The rest of what this read brought is parsed before the microtask
    // runs: a small response is whole by then.
    queueMicrotask(() => this.#deliver());
  }

  onData(chunk: Uint8Array): void {
    const stream = this.#stream;
    if (stream === undefined) {
      this.#early?.push(chunk);
      return;
    }
    stream.enqueue(chunk);
    if (stream.desiredSize! <= 0) this.#connection?.socket.pause();
  }

  onEnd(rest: Uint8Array): void {
    this.#phase = this.#phase === 'arrived' ? 'ended' : 'done';
    this.#finish();
    const connection = this.#connection!;
    const head = this.#response!;
    if (head.status === 101 || !head.keepAlive || this.#sent !== 'whole' || rest.byteLength > 0) {
      connection.user = undefined;
      connection.socket.destroy();
    } else {
      this.#connections.release(connection, keepAliveHint(head.headers));
    }
    this.#stream?.close();
  }

  onSocketError(error: Error): void {
    this.#lost(error);
  }

  onSocketClose(): void {
    this.#lost(new Error('the upstream closed the connection'));
  }

  #lost(error: Error): void {
    if (this.#isFinished()) return;
    const connection = this.#connection;
    if (connection !== undefined) connection.user = undefined;
    clearTimeout(this.#timer);
    if (this.#phase === 'waiting') {
      if (this.#options.signal?.aborted || this.#clientBodyError !== undefined) return; // reported already
      // A kept-alive connection the server closed just before this request: send it again on a new one.
      const reused = connection !== undefined && connection.uses > 1;
      if (reused && this.#request.body === null && IDEMPOTENT.has(this.#request.method)) {
        this.#connect();
        return;
      }
      this.#fail(new TransportError('reset', error.message, { cause: error, bodySent: this.#bodySent() }));
      return;
    }
    this.#finish();
    // Before the answer is handed over, its stream starts with the failure (see start).
    if (this.#phase === 'arrived') {
      this.#phase = 'broken';
      this.#failure = error;
      return;
    }
    this.#phase = 'failed';
    this.#stream?.error(error);
  }

  #deliver(): void {
    if (this.#handedOver()) return;
    const head = this.#response!;
    const { status, statusText } = head;
    // What a Response could not carry is not passed on either way.
    if (status < 200 || status > 599) {
      this.#connection?.socket.destroy();
      this.#fail(new TransportError('reset', `unusable response: status ${status}`, { bodySent: this.#bodySent() }));
      return;
    }
    let body: Uint8Array | ReadableStream<Uint8Array> | null = null;
    if (head.framing !== 'none' && this.#request.method !== 'HEAD') {
      const early = this.#early ?? [];
      if (this.#phase === 'ended') {
        body = early.length === 1 ? early[0]! : Buffer.concat(early);
      } else {
        // This exchange is the body's underlying source (start, pull, cancel).
        body = new ReadableStream<Uint8Array>(this, BODY_STRATEGY);
      }
    }
    const fields = passedFields(head.headers, head.connection);
    let answer: Response | HeadAnswer;
    if (this.#asAnswer) {
      answer = statusText === '' ? { status, headers: fields, body } : { status, statusText, headers: fields, body };
    } else {
      try {
        answer = new Response(body instanceof Uint8Array ? wholeBodyStream(body) : body, statusText === '' ? { status } : { status, statusText });
        const target = answer.headers;
        for (let i = 0; i < fields.length; i += 2) target.append(fields[i]!, fields[i + 1]!);
      } catch (error) {
        this.#connection?.socket.destroy();
        this.#fail(new TransportError('reset', `unusable response: ${(error as Error).message}`, { cause: error, bodySent: this.#bodySent() }));
        return;
      }
    }
    const phase = this.#phase;
    this.#phase = phase === 'ended' ? 'done' : phase === 'broken' ? 'failed' : 'answered';
    if (phase === 'ended') this.#options.signal?.removeEventListener('abort', this);
    this.#resolve(answer);
  }

  /** The body stream's source: it starts with what came early, and a failure that came before it. */
  start(stream: ReadableStreamDefaultController<Uint8Array>): void {
    this.#stream = stream;
    for (const chunk of this.#early ?? []) stream.enqueue(chunk);
    this.#early = undefined;
    if (this.#failure !== undefined) stream.error(this.#failure);
    else if (stream.desiredSize! <= 0) this.#connection?.socket.pause();
  }

  /** The body stream's source: the client wants more. */
  pull(): void {
    this.#connection?.socket.resume();
  }

  /** The body stream's source: the client will read no more. */
  cancel(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'cancelled';
    this.#finish();
    const connection = this.#connection;
    if (connection !== undefined) {
      connection.user = undefined;
      connection.socket.destroy();
    }
  }

  #fail(error: unknown): void {
    if (this.#handedOver()) return;
    this.#phase = 'failed';
    this.#finish();
    this.#reject(error);
  }

  /** No timer or listener of this exchange is left; safe to call again. */
  #finish(): void {
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener('abort', this);
  }

  /** The promise has settled. */
  #handedOver(): boolean {
    const phase = this.#phase;
    return phase === 'answered' || phase === 'done' || phase === 'failed' || phase === 'cancelled';
  }

  /** Nothing more will come from the upstream for this exchange. */
  #isFinished(): boolean {
    const phase = this.#phase;
    return phase !== 'waiting' && phase !== 'arrived' && phase !== 'answered';
  }

  /** Whether any of the request's body went out (a request so far along is never sent again). */
  #bodySent(): boolean {
    return this.#sent === 'body' || (this.#sent === 'whole' && this.#request.body !== null);
  }
}

/** A request target has no whitespace or control characters (RFC 9112 §3.2). */
function isTarget(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** A response's fields without the ones that stay on the upstream connection (hop-by-hop, named by `Connection`, `Proxy-*`). */
function passedFields(fields: readonly string[], named: readonly string[]): string[] {
  const passed: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (staysOnConnection(name, named)) continue;
    passed.push(name, fields[i + 1]!);
  }
  return passed;
}

/** A server's `Keep-Alive: timeout=N`, less a second of margin; undefined without one. */
function keepAliveHint(fields: readonly string[]): number | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'keep-alive') continue;
    const match = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(fields[i + 1]!);
    if (match !== null) return Number(match[1]) * 1000 - 1000;
  }
  return undefined;
}
