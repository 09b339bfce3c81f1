import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { HTTP_INTEGRATION_RESPONSE, type ResponseStream, STREAMING, type StreamingHandler } from '../awslambda.ts';
import type { LambdaRuntimeContext } from '../events.ts';
import { buildEvent, type EmulatedSource } from './event-builders.ts';
import { readPrelude } from './prelude.ts';
import type { RuntimeApi } from './runtime-api.ts';

/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const PAYLOAD_LIMIT: number = 6 * 1024 * 1024;

export interface EmulatorOptions {
  /** Which event source to play. */
  source: EmulatedSource;
  /** Defaults to 0: any free port. */
  port?: number;
  hostname?: string;
  /** The function's timeout, in milliseconds. Defaults to 30 s. */
  timeout?: number;
}

export interface Emulator {
  readonly url: string;
  close(): Promise<void>;
}

/** Any buffered Lambda handler: (event, context) => result. */
export type BufferedHandler = (event: unknown, context: LambdaRuntimeContext) => Promise<unknown>;

/** What the emulator invokes: a handler in this process, or a function process behind a Runtime API. */
export type EmulatorTarget = BufferedHandler | StreamingHandler | RuntimeApi;

const isRuntimeApi = (target: EmulatorTarget): target is RuntimeApi => typeof (target as RuntimeApi).invoke === 'function';

const isStreaming = (handler: BufferedHandler | StreamingHandler): handler is StreamingHandler =>
  (handler as { [STREAMING]?: unknown })[STREAMING] !== undefined;

/**
 * Serve HTTP on localhost the way `source` fronts a Lambda function: each
 * request, read whole, becomes that source's event; the handler's result
 * becomes the response. Request bodies over Lambda's 6 MB payload limit get
 * 413, buffered results over it 502, as on AWS. A streaming handler (made
 * with `awslambda.streamifyResponse`; call `installAwsLambdaGlobal()` first
 * outside Lambda) has its metadata prelude read and its body streamed.
 *
 * @example
 * ```ts
 * import { handler } from '@gatehouse/lambda'
 * import { emulate } from '@gatehouse/lambda/emulator'
 *
 * const local = await emulate(handler(app), { source: 'http', port: 3000 })
 * ```
 */
export async function emulate(handler: EmulatorTarget, options: EmulatorOptions): Promise<Emulator> {
  const timeout = options.timeout ?? 30_000;
  const server = createServer((req, res) => {
    // Whatever goes wrong in here answers this request; it never takes the emulator down.
    const fail = (error: unknown): void => {
      console.error('[emulator] could not relay the result:', error);
      if (!res.headersSent) plain(res, 502, 'Bad Gateway');
      else res.destroy();
    };
    readBody(req, PAYLOAD_LIMIT).then(
      async (body) => {
        if (body === undefined) {
          plain(res, 413, 'Request Too Long');
          return;
        }
        const event = buildEvent(options.source, {
          method: req.method ?? 'GET',
          target: req.url ?? '/',
          rawHeaders: req.rawHeaders,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        });
        const isHeadRequest = req.method === 'HEAD';
        if (isRuntimeApi(handler)) {
          const outcome = await handler.invoke(event, { timeout });
          if (outcome.type === 'result') writeResult(res, outcome.payload, isHeadRequest);
          else if (outcome.type === 'stream') relayStream(res, outcome.body, () => outcome.contentType === HTTP_INTEGRATION_RESPONSE, isHeadRequest);
          else {
            console.error(`[emulator] the function failed: ${outcome.errorType}: ${outcome.errorMessage}`);
            functionError(res, outcome);
          }
          return;
        }
        if (isStreaming(handler)) {
          streamResult(res, handler, event, invocationContext(timeout), isHeadRequest, timeout);
          return;
        }
        let result: unknown;
        try {
          result = await withTimeout(handler(event, invocationContext(timeout)), timeout);
        } catch (error) {
          console.error('[emulator] the function failed:', error);
          const e = error instanceof Error ? error : new Error(String(error));
          functionError(res, { errorType: e.name, errorMessage: e.message });
          return;
        }
        writeResult(res, result, isHeadRequest);
      },
      // The client left before its request was whole: like API Gateway, never invoke.
      () => res.destroy(),
    ).catch(fail);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let invocations = 0;

/**
 * A Lambda context object for calling a handler by hand: an emulated
 * function's name, ARN and request id, and `getRemainingTimeInMillis()`
 * counting down from `timeout` milliseconds.
 */
export function invocationContext(timeout: number): LambdaRuntimeContext {
  const deadline = Date.now() + timeout;
  return {
    functionName: 'emulated',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:emulated',
    memoryLimitInMB: '1024',
    awsRequestId: `emulated-${process.pid}-${++invocations}`,
    logGroupName: '/aws/lambda/emulated',
    logStreamName: 'emulated',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** The whole body, `undefined` past `limit`, a rejection if the client leaves first. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(over ? undefined : new Uint8Array(Buffer.concat(chunks))));
    req.once('error', reject);
  });
}

interface AnyResult {
  statusCode?: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** Lambda ends an invocation at its timeout: so does the emulator. */
function withTimeout<T>(work: Promise<T>, timeout: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`Task timed out after ${timeout} ms`);
      error.name = 'Sandbox.Timedout';
      reject(error);
    }, timeout);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function writeResult(res: ServerResponse, value: unknown, isHeadRequest: boolean): void {
  const result = value as AnyResult;
  if (typeof result !== 'object' || result === null || typeof result.statusCode !== 'number') {
    plain(res, 502, 'Bad Gateway');
    return;
  }
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded === true ? 'base64' : 'utf8');
  if (body.byteLength > PAYLOAD_LIMIT) {
    plain(res, 502, 'Bad Gateway');
    return;
  }
  const flat: string[] = [];
  const multi = result.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(multi)) for (const value of values) flat.push(name, value);
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!Object.hasOwn(multi, name)) flat.push(name, value);
  }
  for (const cookie of result.cookies ?? []) flat.push('set-cookie', cookie);
  const reason = result.statusDescription?.replace(/^\d+\s*/, '');
  const hasLength = flat.some((entry, i) => i % 2 === 0 && entry.toLowerCase() === 'content-length');
  if (!hasLength && !isHeadRequest) flat.push('content-length', String(body.byteLength));
  try {
    if (reason) res.writeHead(result.statusCode, reason, flat);
    else res.writeHead(result.statusCode, flat);
  } catch (error) {
    // A status or header Node refuses is a malformed Lambda response: API Gateway answers 502.
    console.error('[emulator] the function returned a malformed response:', (error as Error).message);
    plain(res, 502, 'Bad Gateway');
    return;
  }
  res.end(isHeadRequest ? undefined : body);
}

/**
 * Run a streaming handler and relay what it writes: the metadata prelude
 * becomes the status and headers, the rest the body, as fast as the
 * client reads it. A client that leaves closes the handler's stream.
 */
function streamResult(
  res: ServerResponse,
  handler: StreamingHandler,
  event: unknown,
  context: LambdaRuntimeContext,
  isHeadRequest: boolean,
  timeout: number,
): void {
  const stream = new PassThrough();
  // At the function's timeout, whatever is left of the stream is cut.
  const timer = setTimeout(() => stream.destroy(new Error(`Task timed out after ${timeout} ms`)), timeout);
  stream.once('close', () => clearTimeout(timer));
  let contentType: string | undefined;
  (stream as PassThrough & { setContentType(type: string): void }).setContentType = (type) => (contentType = type);
  relayStream(res, stream, () => contentType === HTTP_INTEGRATION_RESPONSE, isHeadRequest);
  handler(event, stream as unknown as ResponseStream, context).then(
    () => {
      if (!stream.writableEnded && !stream.destroyed) stream.end();
    },
    (error: unknown) => {
      console.error('[emulator] the function failed:', error);
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );
}

/**
 * Relay a streamed response: its metadata prelude becomes the status and
 * headers, the rest the body, as fast as the client reads it. A client
 * that leaves destroys the stream, which is how the function hears of it.
 */
function relayStream(res: ServerResponse, stream: Readable, isHttp: () => boolean, isHeadRequest: boolean): void {
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  readPrelude(stream, isHttp).then(
    (prelude) => {
      const flat: string[] = [];
      for (const [name, value] of Object.entries(prelude.metadata.headers ?? {})) flat.push(name, value);
      for (const cookie of prelude.metadata.cookies ?? []) flat.push('set-cookie', cookie);
      try {
        res.writeHead(prelude.metadata.statusCode, flat);
      } catch (error) {
        console.error('[emulator] the function streamed a malformed head:', (error as Error).message);
        stream.destroy();
        plain(res, 502, 'Bad Gateway');
        return;
      }
      if (isHeadRequest) {
        res.end();
        stream.resume();
        return;
      }
      if (prelude.rest.byteLength > 0) res.write(prelude.rest);
      // A stream cut short (the function failed or ran out of time) must look cut short to the client.
      stream.once('error', () => res.destroy());
      stream.once('aborted', () => res.destroy());
      stream.pipe(res);
    },
    () => {
      if (!res.headersSent) plain(res, 502, 'Bad Gateway');
      else res.destroy();
    },
  );
}

/**
 * A function error, answered 502 as API Gateway answers one, whatever the
 * source. AWS keeps the reason to the function's logs; locally, whoever
 * sends the request is the one who needs it, so it is the body.
 */
function functionError(res: ServerResponse, error: { errorType: string; errorMessage: string }): void {
  const body = JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage });
  res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end(`${message}\n`);
}
