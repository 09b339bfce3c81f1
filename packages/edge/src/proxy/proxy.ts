import { ANSWER_HEAD, type AnswersHeads, type App, type Context, type HeadAnswer, type RequestHead } from '@gatehouse/core';
import { exchangeWith } from '../upstream/_exchange-with.ts';
import { hashKey } from '../upstream/_hash-key.ts';
import type { RetrySettings, UpstreamServer } from '../upstream/_normalize.ts';
import { fetchTransport } from '../upstream/fetch-transport.ts';
import type { Pool } from '../upstream/pool.ts';
import {
  beforeSending,
  type ClientTimeoutError,
  isClientTimeout,
  isTimeout,
  isTransportError,
  type Transport,
  type TransportError,
  type TransportOptions,
  type UpstreamRequest,
} from '../upstream/transport.ts';
import { CLIENT_CLOSED_ANSWER, clientClosed, clientTimeout, gatewayAnswer, gatewayError } from './_gateway-error.ts';
import { type AccessRecord, accessRecordOf } from '../access-log/access-log.ts';
import { forwardedHeaders, hasHopByHop, webSocketUpgrade, withoutHopByHop } from './_headers.ts';
import { compileRewrite, type PathRewrite } from './_path.ts';
import { cutUrl, type Target } from './_target.ts';
import { watchEnd } from '../_watch-end.ts';
import { lengthOf, readAhead, readAheadOfClient, removedAfter, removeSpilled, resent, type Spilling } from './_buffering.ts';
import type { SpillFile } from './body-spill.ts';
import { type ServerStats, statsOf } from '../status/server-stats.ts';
import { isIdempotent } from './idempotent.ts';
import { BUFFERED, type ProxyBuffering, type ProxyOptions, STREAMED } from './proxy-options.ts';
import { httpCache } from '../cache/http-cache.ts';

/** A proxy's options, checked once. */
interface Proxy {
  readonly pool: Pool;
  readonly transport: Transport;
  /** URL servers answer without hop-by-hop fields: the transport says so. */
  readonly clean: boolean;
  readonly host: string;
  readonly rewrite: PathRewrite | undefined;
  readonly onError: (error: Error, server: string, pool: string) => void;
  readonly clientBodyTimeout: number;
  /** Bytes of the client's body held in memory before a server is asked; 0: none. */
  readonly requestBuffer: number;
  /** Where a body past `requestBuffer` is read ahead to, when there is somewhere. */
  readonly requestSpill: Spilling | undefined;
  /** Bytes of the server's body read ahead of the client; 0: in step. */
  readonly responseBuffer: number;
  /**
   * GETs and HEADs can be proxied from their head, without a Request or a
   * Response: the transport answers so (`Transport.answer`), every server
   * is a URL, and no rewrite function wants a Request.
   */
  readonly answersHeads: boolean;
}

/** What the proxy reads of the client's request: a `Request`, or a server's head of a GET or HEAD. */
type Client = RequestHead & { readonly body?: ReadableStream<Uint8Array> | null };

/** An upstream's answer, either way: a `Response`, or a {@link HeadAnswer}. */
interface Answer {
  readonly status: number;
  readonly headers: Headers | readonly string[];
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/** How one kind of answer goes through {@link forward}. */
interface Via<A extends Answer> {
  exchange(proxy: Proxy, server: UpstreamServer, request: UpstreamRequest, options: TransportOptions, env: unknown, ctx: Context): Promise<A>;
  /** The upstream's answer as the client gets it. */
  pass(answer: A, pool: Pool, counted: UpstreamServer | undefined, clean: boolean, ahead: number): A;
  failed(pool: string, failure: TransportError | undefined): A;
  clientClosed(): A;
  /** The client stalled while sending its body (only requests with a body, so only Responses). */
  clientTimedOut(error: ClientTimeoutError): A;
}

/** For `fetch`: Requests in, Responses out. */
const RESPONSES: Via<Response> = {
  exchange: (proxy, server, request, options, env, ctx) => exchangeWith(server, request, proxy.transport, options, env, ctx),
  pass: respond,
  failed: gatewayError,
  clientClosed,
  clientTimedOut: clientTimeout,
};

/** For answers from the request head: no Request, no Response. */
const ANSWERS: Via<HeadAnswer> = {
  exchange: (proxy, _server, request, options) => proxy.transport.answer!(request, options),
  pass: passAnswer,
  failed: gatewayAnswer,
  clientClosed: () => CLIENT_CLOSED_ANSWER,
  clientTimedOut: (error) => {
    // GETs and HEADs have no body to stall on.
    throw error;
  },
};

/** A proxy as an App: `fetch`, and answers from the request head for servers that ask for them. */
export type ProxyApp<Env> = App<Env> & AnswersHeads<Env>;

/**
 * An App that forwards every request to `pool`, like nginx's
 * `proxy_pass http://pool`: see {@link proxy} for what it does to the
 * request and the response, and when it retries.
 *
 * @example
 * ```ts
 * import { createPool, createProxy } from '@gatehouse/edge'
 *
 * const api = createPool({ name: 'api', servers: ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'] })
 * // /api/users → http://10.0.0.x:8080/users
 * export default createProxy(api, { stripPrefix: '/api' })
 * ```
 */
export function createProxy<Env = {}>(pool: Pool, options: ProxyOptions = {}): ProxyApp<Env> {
  const compiled = compile(pool, options);
  if (options.cache !== undefined) {
    const cache = httpCache(options.cache, `pool "${pool.name}"`);
    return {
      fetch: (request, env, ctx) => cache.handle(request, ctx, (sent) => forward(compiled, sent, env, ctx, RESPONSES)),
      // A fresh hit from memory needs no Request; the rest goes through `fetch`.
      [ANSWER_HEAD]: (head) => cache.answerHead(head),
    };
  }
  return {
    fetch: (request, env, ctx) => forward(compiled, request, env, ctx, RESPONSES),
    [ANSWER_HEAD]: compiled.answersHeads ? (head, env, ctx) => forward(compiled, head, env, ctx, ANSWERS) : () => undefined,
  };
}

const compiledByPool = new WeakMap<Pool, WeakMap<ProxyOptions, Proxy>>();
const NO_OPTIONS: ProxyOptions = Object.freeze({});

/**
 * Forward `request` to a server of `pool` and return its response; the
 * one-call form of {@link createProxy} (options are checked once per
 * options object and pool, then reused).
 *
 * The request goes out with its body streamed as it arrives, hop-by-hop
 * fields removed (Connection and the fields it names, Keep-Alive, TE,
 * Trailer, Transfer-Encoding, Upgrade, Proxy-*, and Expect), X-Forwarded-For
 * appended with `ctx.clientAddress`, X-Forwarded-Proto and X-Forwarded-Host
 * set to the client's, Host per `options.host`, and the path rewritten per
 * `options` with the query kept. The response comes back streamed with its
 * status, its fields (every Set-Cookie on its own) and redirects as they
 * are, minus hop-by-hop fields. A client that leaves cancels the upstream
 * exchange (through `request.signal` before the response head, through
 * the body afterwards).
 *
 * A WebSocket upgrade (`Upgrade: websocket`) is forwarded with its Upgrade
 * and `Connection: upgrade`, and a 101 answer is returned as the very
 * object the upstream gave (on Workers it carries the `webSocket`;
 * re-wrapping it would lose it; on Node, with `undiciTransport`, it
 * carries the upstream socket that `serve` pipes to the client's).
 *
 * Retries (nginx's `proxy_next_upstream`): a failure listed in the pool's
 * `retry.on` sends the request to the next server, for at most
 * `retry.tries` attempts and while `retry.timeout` has not passed, never
 * to a server already tried, when:
 *
 * - the method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE:
 *   {@link isIdempotent}); or it is not (POST, PATCH…) and the failure
 *   happened while connecting, so nothing of the request was sent
 *   (kinds 'connect' and 'connect-timeout'; a response status, a response
 *   timeout or a reset are never retried for these methods);
 * - and the body, if any, is untouched, or was read whole ahead of the
 *   servers (`buffering.request`, or `requestFile` into a spilled file)
 *   and so is sent again: a streamed body (the default) that the transport
 *   has read any of cannot be sent again, whatever the method.
 *
 * When every attempt failed the client gets the last upstream response if
 * the last failure was a status, else 504 (timeouts) or 502 (anything
 * else) with a one-line text naming the pool, never a server.
 *
 * @example
 * ```ts
 * import { createPool, proxy } from '@gatehouse/edge'
 *
 * const pool = createPool({ name: 'app', servers: ['http://127.0.0.1:8000'] })
 * export default {
 *   fetch: (request, env, ctx) => proxy(request, pool, { host: 'client' }, env, ctx),
 * }
 * ```
 */
export function proxy(request: Request, pool: Pool, options?: ProxyOptions, env?: unknown, ctx?: Context): Promise<Response> {
  const given = options ?? NO_OPTIONS;
  let forPool = compiledByPool.get(pool);
  if (forPool === undefined) compiledByPool.set(pool, (forPool = new WeakMap()));
  let compiled = forPool.get(given);
  if (compiled === undefined) forPool.set(given, (compiled = compile(pool, given)));
  const context = ctx ?? standaloneContext();
  const proxy = compiled;
  if (given.cache !== undefined) return httpCache(given.cache, `pool "${pool.name}"`).handle(request, context, (sent) => forward(proxy, sent, env, context, RESPONSES));
  return forward(compiled, request, env, context, RESPONSES);
}

function compile(pool: Pool, options: ProxyOptions): Proxy {
  const host = options.host ?? 'upstream';
  if (typeof host !== 'string' || host === '') throw new TypeError(`proxy: host must be 'upstream', 'client' or a host name, not ${JSON.stringify(host)}`);
  const clientBodyTimeout = options.clientBodyTimeout ?? 60_000;
  if (typeof clientBodyTimeout !== 'number' || !(clientBodyTimeout >= 0) || !Number.isFinite(clientBodyTimeout)) {
    throw new TypeError(`proxy: clientBodyTimeout must be a number of milliseconds ≥ 0, not ${String(clientBodyTimeout)}`);
  }
  const transport: Transport = options.transport ?? fetchTransport;
  if (typeof transport !== 'function') throw new TypeError('proxy: transport must be a function (request, options) => Promise<Response>');
  refuseSocketsWithout(transport, pool);
  const given = options.buffering;
  if (given !== undefined && given !== false && (typeof given !== 'object' || given === null)) {
    throw new TypeError(`proxy: buffering is false (streamed both ways) or { request, requestFile, response }, not ${String(given)}`);
  }
  // nginx buffers both ways unless told not to; `false` streams both ways.
  // `request: 0` streams the request body: its file too, unless the route names one.
  const buffering: ProxyBuffering =
    given === false
      ? STREAMED
      : given === undefined
        ? BUFFERED
        : { ...BUFFERED, ...(given.request === 0 && given.requestFile === undefined ? { requestFile: 0 } : {}), ...given };
  const bytes = (value: unknown, name: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`proxy: buffering.${name} is a number of bytes ≥ 0, not ${String(value)}`);
    return value;
  };
  const requestBuffer = bytes(buffering.request, 'request');
  const responseBuffer = bytes(buffering.response, 'response');
  // Infinity: as long as the limits on the body (maxBodySize) allow.
  const requestFile = buffering.requestFile === Infinity ? Infinity : bytes(buffering.requestFile, 'requestFile');
  const spill = buffering.spill;
  if (spill !== undefined && (typeof spill !== 'object' || spill === null || typeof spill.create !== 'function')) {
    throw new TypeError('proxy: buffering.spill must be a BodySpill, an object with create() (on Node, fileSpill() from @gatehouse/edge-node)');
  }
  return {
    requestBuffer,
    // Without a spill (Workers) a body past memory is streamed, as it always was.
    requestSpill: spill !== undefined && requestFile > requestBuffer ? { spill, bound: requestFile } : undefined,
    responseBuffer,
    pool,
    transport,
    clean: transport.stripsHopByHop === true,
    host,
    rewrite: compileRewrite(options),
    onError: options.onError ?? logFailure,
    clientBodyTimeout,
    answersHeads:
      typeof transport.answer === 'function' &&
      // Its answers go out as they are: nothing would take hop-by-hop fields out.
      transport.stripsHopByHop === true &&
      pool.servers.every((server) => server.origin !== undefined) &&
      typeof options.rewrite !== 'function',
  };
}

/** A pool with unix-socket servers needs a transport that reaches them: said when the proxy is made, not at the first request. */
export function refuseSocketsWithout(transport: Transport, pool: Pool): void {
  const server = pool.servers.find((candidate) => candidate.socket !== undefined);
  if (server !== undefined && transport.unixSockets !== true) {
    throw new TypeError(`pool "${pool.name}": ${server.id} is a unix socket, which this transport cannot reach (on Node, http1Transport() and undiciTransport() can; Workers cannot)`);
  }
}

/** Forward `client` to the pool: its body read ahead first when the proxy buffers it, else straight to the attempts. */
function forward<A extends Answer>(proxy: Proxy, client: Client, env: unknown, ctx: Context, via: Via<A>): Promise<A> {
  try {
    const method = client.method;
    const target = cutUrl(client.url);
    let path = target.path;
    let query = target.query;
    if (proxy.rewrite !== undefined) {
      // A rewrite function is given the Request: only `fetch` has rewrite functions (see answersHeads).
      const rewritten = proxy.rewrite(path, client as Request);
      const mark = rewritten.indexOf('?');
      if (mark !== -1) {
        path = rewritten.slice(0, mark);
        query = rewritten.slice(mark);
      } else {
        path = rewritten;
      }
    }
    const body = method === 'GET' || method === 'HEAD' ? null : (client.body ?? null);
    if (body !== null && (proxy.requestBuffer > 0 || proxy.requestSpill !== undefined)) return readFirst(proxy, client, env, ctx, via, target, path + query, body);
    const requestHeaders = client.headers;
    const headers = forwardedHeaders(requestHeaders, target.host, target.proto, ctx.clientAddress, webSocketUpgrade(requestHeaders), body === null);
    // Not an async function, so that a request not read ahead goes to its attempts without a promise more.
    return attempt(proxy, client, env, ctx, via, target, path + query, headers, body, undefined);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Read the client's body ahead of the servers (`buffering`), then make the
 * attempts; a file it went to is removed when the exchange is over,
 * however it ends.
 */
async function readFirst<A extends Answer>(
  proxy: Proxy,
  client: Client,
  env: unknown,
  ctx: Context,
  via: Via<A>,
  target: Target,
  pathAndQuery: string,
  streamed: ReadableStream<Uint8Array>,
): Promise<A> {
  let body = streamed;
  /** The client's body, read whole before any server was asked, in memory or in a file: sent again on a retry. */
  let whole: Uint8Array | SpillFile | undefined;
  /** The file the client's body went to, whole or its first part. */
  let spilled: SpillFile | undefined;
  try {
    const read = await readAhead(body, proxy.requestBuffer, proxy.clientBodyTimeout, proxy.requestSpill);
    if ('whole' in read) {
      whole = read.whole;
      if (!(whole instanceof Uint8Array)) spilled = whole;
    } else {
      body = read.stream;
      spilled = read.spilled;
    }
  } catch (error) {
    if (client.signal.aborted) return via.clientClosed();
    if (isClientTimeout(error)) return via.clientTimedOut(error);
    throw error;
  }
  const requestHeaders = client.headers;
  const headers = forwardedHeaders(requestHeaders, target.host, target.proto, ctx.clientAddress, webSocketUpgrade(requestHeaders), false);
  // A chunked body read whole goes with its length.
  if (whole !== undefined && requestHeaders.get('content-length') === null) headers.push('content-length', String(lengthOf(whole)));
  if (spilled === undefined) return attempt(proxy, client, env, ctx, via, target, pathAndQuery, headers, body, whole);
  let answer: A;
  try {
    answer = await attempt(proxy, client, env, ctx, via, target, pathAndQuery, headers, body, whole);
  } catch (error) {
    await removeSpilled(spilled);
    throw error;
  }
  return removedAfter(answer, spilled);
}

/**
 * Send the request to the pool's servers until one answers, per the
 * retry rules; `whole` is the body read ahead (sent again on each
 * attempt), else `body` goes once as it streams.
 */
async function attempt<A extends Answer>(
  proxy: Proxy,
  client: Client,
  env: unknown,
  ctx: Context,
  via: Via<A>,
  target: Target,
  pathAndQuery: string,
  forwarded: string[],
  body: ReadableStream<Uint8Array> | null,
  whole: Uint8Array | SpillFile | undefined,
): Promise<A> {
  const { pool } = proxy;
  const method = client.method;
  let headers = forwarded;
  const idempotent = isIdempotent(method);
  const key = typeof pool.balance === 'object' ? hashKey(pool.balance, client.headers, ctx.clientAddress) : undefined;
  const signal = client.signal;
  const options: TransportOptions = {
    connectTimeout: pool.connectTimeout,
    responseTimeout: pool.responseTimeout,
    clientBodyTimeout: proxy.clientBodyTimeout,
    signal,
  };
  const retry = pool.retry;
  const counts = pool.countsInFlight;
  const started = pool.clock();
  const record = accessRecordOf(client);

  let tried: UpstreamServer[] | undefined;
  let failure: TransportError | undefined;
  /** A response whose status is retried, kept in case no server is left to retry on. */
  let held: A | undefined;
  let hostSent = '';
  for (let attempt = 1; ; attempt++) {
    const pending = pool.down(attempt === 1 ? started : pool.clock());
    const down = pending instanceof Promise ? await pending : pending;
    const server = pool.choose(down, tried, key);
    if (server === undefined) break;
    if (held !== undefined) {
      discard(held);
      held = undefined;
    }
    const host = proxy.host === 'upstream' ? (server.host ?? target.host) : proxy.host === 'client' ? target.host : proxy.host;
    if (host !== hostSent) {
      // The list a transport was given is never changed under it.
      if (attempt > 1) headers = headers.slice();
      headers[1] = hostSent = host;
    }
    const upstream: UpstreamRequest = {
      method,
      url: (server.origin === undefined ? target.origin : server.origin + server.basePath) + pathAndQuery,
      headers,
      body: whole === undefined ? body : resent(whole),
      socket: server.socket,
    };

    if (counts) pool.started(server);
    const stats = statsOf(server);
    stats?.started();
    const sentAt = record === undefined && stats === undefined ? 0 : Date.now();
    let response: A;
    try {
      response = await via.exchange(proxy, server, upstream, options, env, ctx);
      if (sentAt !== 0) observe(server, sentAt, response.status >= 500, stats, record);
    } catch (error) {
      // The client leaving is not the server's failure.
      if (sentAt !== 0) observe(server, sentAt, !signal.aborted && !isClientTimeout(error), stats, record);
      if (counts) pool.ended(server);
      if (signal.aborted) return via.clientClosed();
      // The client's own failures are never the server's: a stalled body is
      // answered 408, and the rest (a body too large) go to the server
      // that runs the edge, as they are.
      if (isClientTimeout(error)) return via.clientTimedOut(error);
      if (!isTransportError(error)) throw error;
      failure = error;
      settle(pool.failed(server, pool.clock()), ctx, proxy, server);
      report(proxy, error, server);
      if (!mayRetry(error, retry, idempotent, whole === undefined ? body : null, attempt, started, pool.clock())) break;
      (tried ??= []).push(server);
      continue;
    }

    const status = response.status;
    if (retry.statuses.size !== 0 && retry.statuses.has(status)) {
      // nginx does not count 403 and 404 against a server, even when it retries them.
      if (status !== 403 && status !== 404) settle(pool.failed(server, pool.clock()), ctx, proxy, server);
      if (
        idempotent &&
        (whole !== undefined || body === null || !body.locked) &&
        attempt < retry.tries &&
        withinTime(retry, started, pool.clock()) &&
        !signal.aborted
      ) {
        if (counts) pool.ended(server);
        held = response;
        failure = undefined;
        (tried ??= []).push(server);
        continue;
      }
    } else {
      settle(pool.succeeded(server, pool.clock()), ctx, proxy, server);
    }
    return via.pass(response, pool, counts ? server : undefined, proxy.clean && server.origin !== undefined, proxy.responseBuffer);
  }
  if (held !== undefined) return via.pass(held, pool, undefined, false, proxy.responseBuffer);
  return via.failed(pool.name, failure);
}

/** One exchange's end, for the status page's figures and the access log's line. */
function observe(server: UpstreamServer, sentAt: number, failed: boolean, stats: ServerStats | undefined, record: AccessRecord | undefined): void {
  const now = Date.now();
  stats?.ended(now, now - sentAt, failed);
  if (record !== undefined) {
    record.upstreams.push(server.id);
    record.upstreamTimes.push(now - sentAt);
  }
}

/** Whether a request that failed with `error` goes on to the next server. */
function mayRetry(
  error: TransportError,
  retry: RetrySettings,
  idempotent: boolean,
  body: ReadableStream | null,
  attempt: number,
  started: number,
  now: number,
): boolean {
  if (attempt >= retry.tries || !withinTime(retry, started, now)) return false;
  if (!(isTimeout(error.kind) ? retry.timeouts : retry.errors)) return false;
  // A streamed body that was read cannot be sent again.
  if (body !== null && (error.bodySent || body.locked)) return false;
  return idempotent || beforeSending(error.kind);
}

function withinTime(retry: RetrySettings, started: number, now: number): boolean {
  return retry.timeout === 0 || now - started < retry.timeout;
}

/**
 * The upstream's response as the client gets it: a 101 exactly as it
 * came; otherwise rebuilt only if it carries hop-by-hop fields or its end
 * must be watched (least-in-flight counts until the body is done).
 */
function respond(response: Response, pool: Pool, counted: UpstreamServer | undefined, clean: boolean, ahead: number): Response {
  if (response.status === 101) {
    if (counted !== undefined) pool.ended(counted);
    return response;
  }
  let body: ReadableStream<Uint8Array> | null = response.body;
  if (counted !== undefined) {
    if (body === null) pool.ended(counted);
    else body = watchEnd(body, () => pool.ended(counted));
  }
  // Read ahead of the client: the server's side (and its in-flight count) ends at the server's speed.
  if (body !== null && ahead > 0 && !fitsIn(response.headers.get('content-length'), ahead)) body = readAheadOfClient(body, ahead);
  const rebuild = !clean && hasHopByHop(response.headers);
  if (!rebuild && body === response.body) return response;
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: rebuild ? withoutHopByHop(response.headers) : response.headers,
  });
}

/**
 * A {@link HeadAnswer} as the client gets it: the transport removed the
 * hop-by-hop fields already; under least-in-flight, a streamed body is
 * watched for its end.
 */
function passAnswer(answer: HeadAnswer, pool: Pool, counted: UpstreamServer | undefined, _clean: boolean, ahead: number): HeadAnswer {
  const body = answer.body;
  if (body === null || body instanceof Uint8Array) {
    if (counted !== undefined) pool.ended(counted);
    return answer;
  }
  const readsAhead = ahead > 0 && !fitsIn(fieldOfFlat(answer.headers, 'content-length'), ahead);
  if (counted === undefined && !readsAhead) return answer;
  const watched = counted === undefined ? body : watchEnd(body, () => pool.ended(counted));
  return { status: answer.status, statusText: answer.statusText, headers: answer.headers, body: readsAhead ? readAheadOfClient(watched, ahead) : watched };
}

/** What the sockets between a server and the edge hold anyway (the server's send buffer, the edge's receive buffer). */
const SOCKETS_HOLD = 64 * 1024;

/**
 * Whether a body of this Content-Length is small enough to pass as it is:
 * within the read-ahead bound and what the sockets' own buffers hold, so
 * no stream is added to every small answer.
 */
function fitsIn(length: string | null | undefined, ahead: number): boolean {
  if (length === null || length === undefined) return false;
  const bytes = Number(length);
  return Number.isInteger(bytes) && bytes <= ahead && bytes <= SOCKETS_HOLD;
}

function fieldOfFlat(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function discard(answer: Answer): void {
  const body = answer.body;
  if (body !== null && !(body instanceof Uint8Array)) body.cancel().catch(ignore);
}

/** Health-store writes are not waited for: a remote store's go to `waitUntil`. */
function settle(result: void | Promise<void>, ctx: Context, proxy: Proxy, server: UpstreamServer): void {
  if (result === undefined) return;
  ctx.waitUntil(result.catch((error: unknown) => proxy.onError(error as Error, server.id, proxy.pool.name)));
}

function report(proxy: Proxy, error: TransportError, server: UpstreamServer): void {
  try {
    proxy.onError(error, server.id, proxy.pool.name);
  } catch {
    // A hook that throws must not change the answer.
  }
}

function logFailure(error: Error, server: string, pool: string): void {
  const kind = (error as Partial<TransportError>).kind;
  console.warn(`[gatehouse] upstream pool "${pool}", server ${server}: ${kind === undefined ? '' : `${kind}: `}${error.message}`);
}

function standaloneContext(): Context {
  return {
    waitUntil(promise) {
      promise.catch(ignore);
    },
    passThroughOnException() {},
    clientAddress: undefined,
    runtime: 'unknown',
    props: {},
  };
}

function ignore(): void {}
