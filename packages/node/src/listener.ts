import type { ServerResponse } from 'node:http';
import { type App, headAnswerer } from '@gatehouse/core';
import { errorReporter } from './_app-errors.ts';
import { callApp } from './_call-app.ts';
import { PendingWork, NodeContext } from './_context.ts';
import { trustsPeer } from './_client-address.ts';
import { askHead, headOf, type NodeHead } from './_head-answer.ts';
import { BadRequestError, forwardedProto, type NodeRequest, requestUrl, socketProto, toRequest } from './node-request.ts';
import { cancelBody, FROM_HEAD, FROM_RESPONSE, type Reply, sendReply } from './_response.ts';
import { discardUpTo } from './_body.ts';
import { BodyTooLargeError, ClientAbortedError } from './errors.ts';
import { countIn, countOut, handlerDeadline } from './_accounting.ts';
import type { ErrorHook, ListenerOptions, TrustProxy } from './options.ts';
import type { IncomingRequest, OutgoingResponse, RequestListener } from './types.ts';

const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;

// Methods the Fetch standard refuses to put in a Request (and so no App can see).
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Everything a listener shares across requests; `serve` reads `inFlight`
 * and `work` to close gracefully.
 * @internal
 */
export interface ListenerState {
  inFlight: number;
  /** Requests received so far. */
  requests: number;
  /** Milliseconds with at least one request in flight, up to the last time none was. */
  busyTime: number;
  /** When the current busy stretch began (`performance.now()`). */
  busySince: number;
  readonly work: PendingWork;
  /** Set by a graceful close: answers ask the client to close the connection. */
  closing: boolean;
  /** Called when `inFlight` drops to zero. */
  onIdle: (() => void) | undefined;
  /** Called with the count of requests received, after each new one. */
  onRequest: ((requests: number) => void) | undefined;
  /**
   * Requests left out of the counts above (a load balancer's readiness
   * probes): they must not keep a worker from looking idle, nor bring its
   * recycling closer.
   */
  uncounted: ((req: IncomingRequest) => boolean) | undefined;
}

/**
 * A request listener that runs `app`, for a server you create yourself:
 * `http.createServer`, `https.createServer`, or `http2.createServer` /
 * `http2.createSecureServer` (through Node's compatibility API).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createListener } from '@gatehouse/node'
 *
 * const app = { fetch: () => new Response('hello') }
 * createServer(createListener(app)).listen(3000)
 * ```
 */
export function createListener<Env = {}>(app: App<Env>, options: ListenerOptions<Env> = {}): RequestListener {
  return createListenerWithState(app, options).listener;
}

/** @internal */
export function createListenerWithState<Env>(
  app: App<Env>,
  options: ListenerOptions<Env>,
): { listener: RequestListener; state: ListenerState; bodyTooLarge: (req: IncomingRequest) => boolean } {
  const env = options.env ?? (process.env as unknown as Env);
  const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  const trust: TrustProxy = options.trustProxy ?? false;
  const report = errorReporter(options.onError);
  const handlerTimeout = options.handlerTimeout ?? 0;
  // Answers the App can make from the head alone (the edge's files in memory,
  // its proxied GETs) skip the Request and Response.
  const answerHead = headAnswerer<Env>(app);
  const state: ListenerState = {
    inFlight: 0,
    requests: 0,
    busyTime: 0,
    busySince: 0,
    work: new PendingWork(report),
    closing: false,
    onIdle: undefined,
    onRequest: undefined,
    uncounted: undefined,
  };

  const bodyTooLarge = (req: IncomingRequest): boolean => {
    const length = req.headers['content-length'];
    return length !== undefined && Number(length) > maxBodySize;
  };

  const listener: RequestListener = (req, res) => {
    // A request pipelined behind an answer that closes the connection is
    // never answered: the App must not act on it either (it may be smuggled).
    if (lastOnConnection.has(req.socket)) return;
    const counted = countIn(state, req);
    let request: NodeRequest | NodeHead | undefined;
    let timer: NodeJS.Timeout | undefined;
    // 'close' comes once per response; `on` spares the wrapper `once` makes.
    res.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      if (!finishedNormally(res)) {
        // The client left before the response was complete.
        request?._disconnect();
        cancelBody(res);
      }
      if (counted) countOut(state);
    });

    if (bodyTooLarge(req)) {
      sendBodyTooLarge(res);
      return;
    }
    if (UNSUPPORTED_METHODS.has(req.method ?? '')) {
      // The connection stays usable: the body is dropped, not answered by
      // closing with it unread, which would reset the connection before
      // the client read the 501.
      dropChunkedBody(req, maxBodySize);
      sendError(res, 501, 'Not Implemented', false);
      return;
    }
    const ctx = new NodeContext(req, trust, state.work);
    /** The App's answer from the request head, when it made one. */
    let answer: ReturnType<typeof askHead>;
    try {
      const proto = trust !== false && trustsPeer(req, trust) ? forwardedProto(req) : socketProto(req);
      const url = requestUrl(req, proto);
      const head = answerHead === undefined ? undefined : headOf(req, url);
      if (head !== undefined) answer = askHead(answerHead!, head, env, ctx);
      request = answer === undefined ? toRequest(req, url, maxBodySize) : head;
    } catch (error) {
      sendError(res, 400, error instanceof BadRequestError ? error.message : 'Bad Request', true);
      return;
    }
    const current = request!;
    if (current._body === undefined) dropChunkedBody(req, maxBodySize);
    const source = answer === undefined ? FROM_RESPONSE : FROM_HEAD;
    const isHeadRequest = req.method === 'HEAD';
    let timedOut = false;
    // Decided when the answer is ready, not when the request came: a close
    // that began meanwhile, or a body refused for its size, ends the connection.
    const beforeHead = (): void => {
      if ((state.closing || current._body?.tooLarge === true) && 'shouldKeepAlive' in res) {
        res.shouldKeepAlive = false;
        lastOnConnection.add(req.socket);
      }
    };
    const fail = (error: unknown): void => {
      if (timedOut) return;
      if (timer !== undefined) clearTimeout(timer);
      beforeHead();
      handleError(error, req, res, report);
      current._body?.discard();
    };
    // What `fetch` resolved with (a Response), or what the answer from the head brought (a HeadAnswer).
    const send = (made: unknown): void => {
      const reply = source.reply(made);
      if (timedOut) {
        // Answered too late: the client already has its 504.
        if (reply !== undefined) cancelUnread(reply);
        return;
      }
      if (timer !== undefined) clearTimeout(timer);
      if (reply === undefined) {
        fail(source.notOne(made));
        return;
      }
      beforeHead();
      let sending: Promise<void> | undefined;
      try {
        sending = sendReply(res, reply, isHeadRequest);
      } catch (error) {
        // Node refused the head (a field it will not write): the App's error, as a throw from fetch is.
        fail(error);
        return;
      }
      if (sending === undefined) current._body?.discard();
      else sending.then(() => current._body?.discard(), fail);
    };

    if (answer !== undefined && !isThenable(answer)) {
      // Made at once (a file held in memory): nothing is left to time out.
      send(answer);
      return;
    }
    timer = handlerDeadline(handlerTimeout, req, current, report, (message) => {
      timedOut = true;
      // The body may be half read: the connection cannot carry another request.
      if (!res.headersSent && !res.destroyed) sendError(res, 504, message, true);
      current._body?.discard();
    });
    if (answer === undefined) callApp(app, current as NodeRequest, env, ctx, send, fail);
    else answer.then(send, fail);
  };

  return { listener, state, bodyTooLarge };
}

/**
 * Whether the response went out whole. HTTP/2 marks a stream the client
 * reset as finished too; its reset code tells them apart.
 */
function finishedNormally(res: OutgoingResponse): boolean {
  if (!res.writableFinished) return false;
  const stream = (res as { stream?: { rstCode?: number } }).stream;
  return stream === undefined || stream.rstCode === undefined || stream.rstCode === 0;
}

function isThenable(value: object): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown>).then === 'function';
}

function cancelUnread(reply: Reply): void {
  const body = reply.body;
  if (body !== null && !(body instanceof Uint8Array) && typeof body.cancel === 'function' && !body.locked) body.cancel().catch(() => {});
}


function handleError(error: unknown, req: IncomingRequest, res: OutgoingResponse, onError: ErrorHook): void {
  if (error instanceof ClientAbortedError || (res.destroyed && !res.headersSent)) {
    // The client is gone: nobody is left to answer, and nothing went wrong here.
    res.destroy();
    return;
  }
  if (isBodyTooLarge(error)) {
    if (!res.headersSent) sendBodyTooLarge(res);
    else res.destroy();
    return;
  }
  onError(error, req);
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees the
    // response is incomplete rather than a body that looks whole.
    res.destroy();
    return;
  }
  sendError(res, 500, 'Internal Server Error', false);
}

function isBodyTooLarge(error: unknown): boolean {
  return error instanceof BodyTooLargeError || (error instanceof Error && error.cause instanceof BodyTooLargeError);
}

function sendBodyTooLarge(res: OutgoingResponse): void {
  // The body is not read: the connection cannot carry another request.
  sendError(res, 413, 'Content Too Large', true);
}

/**
 * A chunked body on a request given none (a GET's, or one refused before a
 * Request was made) is dropped as it comes, within the limit: Node would
 * read it to its end, however long. A Content-Length body is bounded by
 * the limit already.
 */
function dropChunkedBody(req: IncomingRequest, maxBodySize: number): void {
  if (req.headers['transfer-encoding'] !== undefined) discardUpTo(req, maxBodySize);
}

/**
 * HTTP/1 connections whose last answer is on its way, with `Connection:
 * close`. Node still parses and hands over what the client sent behind
 * it in the same write; none of that is answered or given to the App.
 */
const lastOnConnection = new WeakSet<object>();

function sendError(res: OutgoingResponse, status: number, message: string, closeConnection: boolean): void {
  const body = `${message}\n`;
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (closeConnection && (res as { stream?: unknown }).stream === undefined) {
    headers.connection = 'close';
    const socket = (res as ServerResponse).socket;
    if (socket !== null) lastOnConnection.add(socket);
  }
  (res as ServerResponse).writeHead(status, headers);
  res.end(body);
}


