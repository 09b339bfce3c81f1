import { type App, drained, isNullBodyStatus } from '@gatehouse/core';
import { DEADLINE, DeadlineError } from './_result.ts';
import { awsLambdaGlobal, type HttpResponseMetadata, type ResponseStream, type StreamingHandler } from './awslambda.ts';
import { errorResult, failureResult, type HandlerOptions, prepare, resolveOptions } from './handler.ts';
import type { LambdaHttpResult } from './events.ts';

/**
 * A streaming Lambda handler (`awslambda.streamifyResponse`) that serves
 * `app` through Function URLs with `RESPONSE_STREAM` invoke mode and REST
 * APIs in stream mode: status, headers and cookies go first, then the body
 * as the App produces it, with backpressure. A response with no body still
 * sends its status and headers.
 *
 * Needs the `awslambda` global of Lambda's Node.js runtime; locally the
 * emulator (`@gatehouse/lambda/emulator`) provides one.
 *
 * Scheduled tasks are not run here: an EventBridge scheduled event gets
 * the same treatment as any other event that is not HTTP (reported through
 * `onError`, answered with a 400 that says why). Point schedules at a
 * function exported with {@link handler}.
 *
 * @example
 * ```ts
 * import { streamHandler } from '@gatehouse/lambda'
 *
 * export const main = streamHandler(app)
 * ```
 */
export function streamHandler<Env = {}>(app: App<Env>, options: HandlerOptions<Env> = {}): StreamingHandler {
  const runtime = awsLambdaGlobal();
  if (runtime === undefined) {
    throw new Error(
      'streamHandler needs the awslambda global of the Lambda Node.js runtime. Locally, install the emulator\'s first: import { installAwsLambdaGlobal } from "@gatehouse/lambda/emulator".',
    );
  }
  const invoke = prepare(app, options);
  const { onError } = resolveOptions(options);
  return runtime.streamifyResponse(async (event, stream, context) => {
    const invocation = await invoke(event, context);
    const answer = (failure: LambdaHttpResult): void => {
      const { statusCode, headers, body } = failure as { statusCode: number; headers?: Record<string, string>; body: string };
      runtime.HttpResponseStream.from(stream, { statusCode, headers: headers ?? {} }).end(body);
    };
    if (invocation.response === undefined) {
      if (invocation.scheduled !== undefined) {
        onError(new TypeError(SCHEDULED_EVENT.trim()));
        answer(errorResult(400, SCHEDULED_EVENT, undefined, undefined));
        return;
      }
      answer(invocation.failure);
      return;
    }
    const { response } = invocation;
    let opened = false;
    const open = (length: number | undefined): ResponseStream => {
      opened = true;
      return runtime.HttpResponseStream.from(stream, metadataOf(response, length));
    };
    try {
      if (response.body === null || isNullBodyStatus(response.status)) {
        await response.body?.cancel().catch(() => {});
        open(undefined).end();
      } else {
        await sendBody(response.body, invocation, open);
      }
    } catch (error) {
      invocation.onError(error);
      // Before the head, a proper answer can still go out; after it, all
      // that is left is to cut the body short.
      if (!opened) answer(failureResult(error, invocation.source, invocation.event));
      else stream.destroy(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await invocation.finish();
    }
  });
}

const SCHEDULED_EVENT =
  'Gatehouse\'s streamHandler does not run scheduled tasks: this EventBridge scheduled event needs a function exported with handler(app), which calls app.scheduled().\n';

type Ready = Extract<Awaited<ReturnType<ReturnType<typeof prepare>>>, { response: Response }>;

/**
 * Send the body behind the head `open(length)` writes. A body that is
 * complete at once (one chunk, then the end, within a turn of the event
 * loop) gets a Content-Length, for HEAD too; any other streams as the App
 * produces it.
 */
async function sendBody(
  body: ReadableStream<Uint8Array>,
  invocation: Ready,
  open: (length: number | undefined) => ResponseStream,
): Promise<void> {
  const reader = body.getReader();
  const first = await Promise.race([reader.read(), invocation.deadline]);
  if (first === DEADLINE) {
    reader.cancel().catch(() => {});
    throw new DeadlineError();
  }
  if (first.done) {
    open(0).end();
    return;
  }
  const next = reader.read();
  const peek = await settledSoon(next);
  if (peek !== undefined && peek.done) {
    const http = open(first.value.byteLength);
    if (invocation.isHeadRequest) http.end();
    else http.end(first.value);
    return;
  }
  const http = open(undefined);
  if (invocation.isHeadRequest) {
    reader.cancel().catch(() => {});
    http.end();
    return;
  }
  http.write(first.value);
  await pipe(reader, next, http, invocation.deadline, invocation.disconnect);
}

function metadataOf(response: Response, length: number | undefined): HttpResponseMetadata {
  const headers: Record<string, string> = Object.create(null);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  if (length !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(length);
  const metadata: HttpResponseMetadata = { statusCode: response.status, headers };
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) metadata.cookies = cookies;
  return metadata;
}

/** Copy the App's body to the response stream, as fast as the client takes it, until the deadline. */
async function pipe(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>,
  http: ResponseStream,
  deadline: Promise<typeof DEADLINE>,
  disconnect: () => void,
): Promise<void> {
  let gone = false;
  const stop = (): void => {
    if (gone) return;
    gone = true;
    reader.cancel().catch(() => {});
  };
  const leave = (): void => {
    if (!gone) disconnect();
    stop();
  };
  // The client went away (or Lambda closed the stream): stop the App's stream, once.
  http.once('close', leave);
  http.once('error', leave);
  try {
    for (let read = pending; ; read = reader.read()) {
      const next = await Promise.race([read, deadline]);
      if (next === DEADLINE) {
        // Out of time mid-body: cut the stream, so the client sees it is incomplete.
        stop();
        http.destroy(new Error('The Lambda invocation ran out of time mid-response'));
        return;
      }
      if (next.done || gone) break;
      // A client that stops reading must not hold the invocation past its deadline.
      if (!http.write(next.value) && (await Promise.race([drained(http), deadline])) === DEADLINE) {
        stop();
        http.destroy(new Error('The Lambda invocation ran out of time mid-response'));
        return;
      }
    }
    if (!gone) http.end();
  } finally {
    http.off('close', leave);
    http.off('error', leave);
  }
}

/** `promise`'s value if it settles before the next turn of the event loop, else `undefined`. */
function settledSoon<T>(promise: Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    promise.then(resolve, () => resolve(undefined));
    setImmediate(() => resolve(undefined));
  });
}
