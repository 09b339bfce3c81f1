import type { App } from '@gatehouse/core';
import { LambdaRequest } from './lambda-request.ts';
import { type RequestParts, requestParts } from './_request.ts';
import type { PathOptions } from './path-options.ts';
import { DEADLINE, DeadlineError, responseParts, ResponseTooLargeError, toResult } from './_result.ts';
import { watchDeadline } from './_watchdog.ts';
import { isBinaryBody } from './binary.ts';
import { InvocationContext } from './context.ts';
import { detectSource, isScheduledEvent } from './detect.ts';
import type { EventSource, LambdaHttpEvent, LambdaHttpResult, LambdaRuntimeContext, ScheduledEvent } from './events.ts';
import { scheduledRunner } from './scheduled.ts';

/** Options of {@link handler} and {@link streamHandler}. */
export interface HandlerOptions<Env = {}> extends PathOptions {
  /** The `env` every call of the App receives. Defaults to `process.env`. */
  env?: Env;
  /** Whether a response body goes back base64-encoded. Defaults to {@link isBinaryBody}. */
  isBinary?: (headers: Headers) => boolean;
  /**
   * How long before the invocation's deadline `request.signal` aborts, in
   * milliseconds. Half of it later, the handler stops waiting for the App
   * and answers 504. Defaults to 500.
   */
  deadlineMargin?: number;
  /**
   * Called with errors the App throws, events that cannot be served, and
   * the failures of a scheduled run that called `noRetry()` (other failed
   * runs reject the invocation instead, and Lambda logs them). Defaults to
   * `console.error`.
   */
  onError?: (error: unknown) => void;
  /**
   * The largest response body `handler` returns, in bytes; a larger one
   * gets a 502 that says so. Defaults to 6 MiB, Lambda's limit for a
   * buffered response (use `streamHandler` past it).
   */
  maxResponseSize?: number;
}

/**
 * A Lambda handler: two parameters, as the Node.js 24 runtime requires.
 * It resolves with the HTTP result for an HTTP event, and with `undefined`
 * for an EventBridge scheduled event (the result of an asynchronous
 * invocation goes nowhere).
 */
export type LambdaHandler = (event: unknown, context: LambdaRuntimeContext) => Promise<LambdaHttpResult | undefined>;

/**
 * A Lambda handler that serves `app` for every HTTP event source: API
 * Gateway REST APIs (payload 1.0) and HTTP APIs (2.0), ALB targets (single-
 * and multi-value headers), Function URLs and VPC Lattice (v1 and v2). The
 * source is read from each event, and the answer given in its shape.
 *
 * It runs the App's scheduled tasks too: for an EventBridge scheduled event
 * (a scheduled rule, or EventBridge Scheduler with the same envelope) it
 * calls `app.scheduled(controller, env, ctx)`, waits for its waitUntil work,
 * and resolves with `undefined`; it rejects if the run fails (Lambda then
 * retries it) unless the run called `controller.noRetry()`, and if the App
 * has no `scheduled()`. `controller.cron` is the rule's or schedule's ARN.
 *
 * @example
 * ```ts
 * import { handler } from '@gatehouse/lambda'
 * import { app } from './app.ts'
 *
 * export const main = handler(app)
 * ```
 */
export function handler<Env = {}>(app: App<Env>, options: HandlerOptions<Env> = {}): LambdaHandler {
  const invoke = prepare(app, options);
  const runScheduled = scheduledRunner(app, resolveOptions(options));
  const maxSize = options.maxResponseSize ?? 6 * 1024 * 1024;
  return async (event, context) => {
    const invocation = await invoke(event, context);
    if (invocation.response === undefined) {
      return invocation.scheduled === undefined ? invocation.failure : runScheduled(invocation.scheduled, context);
    }
    let result: LambdaHttpResult;
    try {
      const parts = await responseParts(invocation.response, {
        isBinary: invocation.isBinary,
        isHeadRequest: invocation.isHeadRequest,
        maxSize,
        deadline: invocation.deadline,
      });
      result = toResult(parts, invocation.source, invocation.event);
    } catch (error) {
      invocation.onError(error);
      result = failureResult(error, invocation.source, invocation.event);
    }
    const settling = invocation.finish();
    if (settling !== undefined) await settling;
    return result;
  };
}

/** @internal What one invocation produced, before it is turned into the source's result. */
export type Invocation =
  | {
      response: Response;
      source: EventSource;
      event: LambdaHttpEvent;
      isHeadRequest: boolean;
      isBinary: (headers: Headers) => boolean;
      onError: (error: unknown) => void;
      /** Resolves with DEADLINE when the response must be given up on. */
      deadline: Promise<typeof DEADLINE>;
      /** Tell the App the client left (streaming responses only learn of it). */
      disconnect: () => void;
      /** Stops watching the deadline; returns a promise if waitUntil work is left to wait for. */
      finish: () => Promise<void> | undefined;
    }
  | { response: undefined; failure: LambdaHttpResult; scheduled?: undefined }
  /** An EventBridge scheduled event: not for the App's fetch. */
  | { response: undefined; failure?: undefined; scheduled: ScheduledEvent };

/** @internal The options every kind of invocation needs, defaults applied. */
export function resolveOptions<Env>(options: HandlerOptions<Env>): {
  env: Env;
  isBinary: (headers: Headers) => boolean;
  margin: number;
  onError: (error: unknown) => void;
} {
  return {
    env: options.env ?? (process.env as unknown as Env),
    isBinary: options.isBinary ?? isBinaryBody,
    margin: options.deadlineMargin ?? 500,
    onError: options.onError ?? ((error: unknown) => console.error('[gatehouse] ', error)),
  };
}

/** @internal Shared by the buffered and the streaming handler. */
export function prepare<Env>(
  app: App<Env>,
  options: HandlerOptions<Env>,
): (event: unknown, context: LambdaRuntimeContext) => Promise<Invocation> {
  const { env, isBinary, margin, onError } = resolveOptions(options);
  warmUp();

  return async (event, context) => {
    const source = detectSource(event);
    if (source === undefined) {
      // Read after the HTTP sources, so that HTTP events pay nothing for it.
      if (isScheduledEvent(event)) return { response: undefined, scheduled: event };
      onError(new TypeError(`Not an HTTP event Gatehouse knows: ${describe(event)}`));
      return { response: undefined, failure: errorResult(400, UNKNOWN_EVENT, undefined, undefined) };
    }
    const httpEvent = event as LambdaHttpEvent;
    let request: LambdaRequest;
    let clientAddress: string | undefined;
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 900_000;
    const abortAt = Date.now() + remaining - margin;
    try {
      const parts = requestParts(httpEvent, source, options);
      request = toRequest(parts, abortAt);
      clientAddress = parts.clientAddress;
    } catch (error) {
      onError(error);
      return { response: undefined, failure: errorResult(400, 'Bad Request', source, httpEvent) };
    }

    const requestContext = (httpEvent as { requestContext?: Record<string, unknown> }).requestContext;
    const ctx = new InvocationContext({ source, event: httpEvent, requestContext, context }, clientAddress, onError);
    // The App hears of the deadline first, through request.signal; half the
    // margin later the handler stops waiting for it, and still has the other
    // half to answer before Lambda ends the invocation.
    const [deadline, unwatch] = watchDeadline(abortAt + margin / 2);
    let response: Response;
    try {
      const result = app.fetch(request, env, ctx);
      // An App that answers at once needs no watching.
      const answer = result instanceof Promise ? await Promise.race([result, deadline]) : result;
      if (answer === DEADLINE) {
        // Should the App answer after all, nobody will read that body: stop it.
        void (result as Promise<Response>).then((late) => late?.body?.cancel().catch(() => {}), () => {});
        throw new DeadlineError();
      }
      if (typeof answer !== 'object' || answer === null || typeof answer.status !== 'number') {
        throw new TypeError(`The App returned ${typeof answer} instead of a Response`);
      }
      response = answer;
    } catch (error) {
      onError(error);
      const status = error instanceof DeadlineError ? 504 : 500;
      response = new Response(`${status === 504 ? 'Gateway Timeout' : 'Internal Server Error'}\n`, {
        status,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    return {
      response,
      source,
      event: httpEvent,
      isHeadRequest: request.method === 'HEAD',
      isBinary,
      onError,
      deadline,
      disconnect: () => request._disconnect(),
      finish: () => {
        // Most invocations hand nothing to waitUntil: no promise for them.
        if (ctx._pending.length === 0) {
          unwatch();
          request._end();
          return undefined;
        }
        // waitUntil work gets until the deadline too, never past it: a
        // response that is ready must not be lost to a background task.
        return Promise.race([ctx._settle(), deadline]).then((outcome) => {
          if (outcome === DEADLINE) onError(new DeadlineError('waitUntil work was still running at the deadline; it was left unfinished'));
          unwatch();
          request._end();
        });
      },
    };
  };
}

function toRequest(parts: RequestParts, abortAt: number): LambdaRequest {
  if (parts.method === 'GET') {
    // A Request made from the URL alone, headers appended after, costs less
    // than converting an init dictionary. A GET's body, if an event carries
    // one (test consoles send them), is dropped.
    const request = new LambdaRequest(parts.url, undefined, abortAt);
    const headers = request.headers;
    // Names are unique here, and set() checks less than append().
    for (const name in parts.headers) headers.set(name, parts.headers[name]!);
    return request;
  }
  const body = parts.method === 'HEAD' ? null : (parts.body as RequestInit['body']);
  return new LambdaRequest(parts.url, { method: parts.method, headers: parts.headers, body }, abortAt);
}

const UNKNOWN_EVENT =
  'Gatehouse cannot serve this event: it is not an HTTP event from API Gateway, an ALB, a Function URL or VPC Lattice.\n';

/** @internal The error result for a failure while reading the App's response. */
export function failureResult(error: unknown, source: EventSource, event: LambdaHttpEvent): LambdaHttpResult {
  if (error instanceof DeadlineError) return errorResult(504, 'Gateway Timeout', source, event);
  if (error instanceof ResponseTooLargeError) return errorResult(502, 'Response Too Large', source, event);
  return errorResult(500, 'Internal Server Error', source, event);
}

/** A plain-text error, in the shape its source expects (or a shape every source accepts). */
export function errorResult(
  status: number,
  message: string,
  source: EventSource | undefined,
  event: LambdaHttpEvent | undefined,
): LambdaHttpResult {
  const body = message.endsWith('\n') ? message : `${message}\n`;
  const type = 'text/plain; charset=utf-8';
  if (source === undefined || event === undefined) return { statusCode: status, headers: { 'content-type': type }, body, isBase64Encoded: false };
  const headers = new Headers({ 'content-type': type });
  return toResult({ status, statusText: message.trim(), headers, body, isBase64Encoded: false }, source, event);
}

let warm = false;
/**
 * Node loads its fetch implementation on first use of `Request`; doing it
 * here, while Lambda runs the module's init, keeps it out of the first
 * invocation's time.
 */
function warmUp(): void {
  if (warm) return;
  warm = true;
  void new Response(new Request('http://localhost/', { method: 'POST', body: 'x' }).body).text();
}

function describe(event: unknown): string {
  if (typeof event !== 'object' || event === null) return `a ${event === null ? 'null' : typeof event}`;
  return `an object with ${Object.keys(event).slice(0, 8).join(', ') || 'no keys'}`;
}
