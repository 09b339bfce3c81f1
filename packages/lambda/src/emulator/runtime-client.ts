import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installAwsLambdaGlobal, type ResponseStream, STREAMING, type StreamingHandler } from '../awslambda.ts';
import type { LambdaRuntimeContext } from '../events.ts';

type BufferedHandler = (event: unknown, context: LambdaRuntimeContext) => Promise<unknown>;

export interface RuntimeClientOptions {
  /** host:port of the Runtime API. Defaults to `AWS_LAMBDA_RUNTIME_API`. */
  api?: string;
  /** `file.export`, as Lambda's handler setting. Defaults to `_HANDLER`. */
  handler?: string;
  /** Where the function's files are. Defaults to `LAMBDA_TASK_ROOT`, then the working directory. */
  taskRoot?: string;
}

const agent = new Agent({ keepAlive: true });

/**
 * A Lambda runtime client: what Lambda's Node.js runtime does in a function
 * process. It loads the handler (`index.handler` → `index.mjs`, `.js` or
 * `.cjs` in the task root), provides the `awslambda` global, then takes
 * invocations from the Runtime API one at a time, posting each answer back
 * (buffered, or streamed for a handler made with `streamifyResponse`).
 * Runs until the process ends.
 */
export async function runRuntimeClient(options: RuntimeClientOptions = {}): Promise<never> {
  const api = options.api ?? process.env.AWS_LAMBDA_RUNTIME_API;
  const spec = options.handler ?? process.env._HANDLER;
  if (api === undefined || spec === undefined) throw new Error('Set AWS_LAMBDA_RUNTIME_API and _HANDLER');
  const root = options.taskRoot ?? process.env.LAMBDA_TASK_ROOT ?? process.cwd();

  installAwsLambdaGlobal();
  let handler: BufferedHandler | StreamingHandler;
  try {
    handler = await loadHandler(root, spec);
  } catch (error) {
    await post(api, '/2018-06-01/runtime/init/error', errorBody(error), {
      'lambda-runtime-function-error-type': error instanceof Error ? error.name : 'Error',
    });
    throw error;
  }

  for (;;) {
    const next = await get(api, '/2018-06-01/runtime/invocation/next');
    const id = String(next.headers['lambda-runtime-aws-request-id']);
    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
    const event = JSON.parse(next.body) as unknown;
    const context = contextFor(id, deadline, String(next.headers['lambda-runtime-invoked-function-arn']));
    const base = `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}`;
    try {
      if ((handler as { [STREAMING]?: unknown })[STREAMING] !== undefined) {
        await stream(api, `${base}/response`, (out) => (handler as StreamingHandler)(event, out, context));
      } else {
        const result = await (handler as BufferedHandler)(event, context);
        await post(api, `${base}/response`, JSON.stringify(result ?? null));
      }
    } catch (error) {
      await post(api, `${base}/error`, errorBody(error), {
        'lambda-runtime-function-error-type': error instanceof Error ? error.name : 'Error',
      });
    }
  }
}

/** An error that Lambda's Node.js runtime reports under its own type, not the error's name. */
class RuntimeError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = type;
  }
}

async function loadHandler(root: string, spec: string): Promise<BufferedHandler | StreamingHandler> {
  const dot = spec.lastIndexOf('.');
  const [file, name] = dot === -1 ? [spec, 'handler'] : [spec.slice(0, dot), spec.slice(dot + 1)];
  const path = ['.mjs', '.js', '.cjs', ''].map((ext) => resolve(root, file + ext)).find((candidate) => existsSync(candidate));
  if (path === undefined) throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${file}' in ${root}`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    // A package the module imports that is not there, as a module of its own that is not.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${(error as Error).message}`);
    }
    // What the module itself threw at import is reported as it is, as Lambda does.
    throw error;
  }
  const handler = module[name];
  if (typeof handler !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${file}.${name} is undefined or not exported`);
  return handler as BufferedHandler | StreamingHandler;
}

function contextFor(id: string, deadline: number, arn: string): LambdaRuntimeContext {
  return {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '/aws/lambda/local',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true,
  };
}

function errorBody(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  return JSON.stringify({ errorType: e.name, errorMessage: e.message, stackTrace: (e.stack ?? '').split('\n').slice(1).map((line) => line.trim()) });
}

function target(api: string, path: string): { host: string; port: number; path: string; agent: Agent } {
  const [host, port] = api.split(':');
  return { host: host!, port: Number(port ?? 80), path, agent };
}

function get(api: string, path: string): Promise<{ headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ ...target(api, path), method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolvePromise({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

function post(api: string, path: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      { ...target(api, path), method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        res.resume();
        res.once('end', () => resolvePromise());
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * Post a streamed response: the handler writes into the request body,
 * which goes out chunked. Its content type (set by HttpResponseStream.from)
 * becomes the request's, so it must come before the first write.
 */
function stream(api: string, path: string, run: (out: ResponseStream) => Promise<void>): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const req: ClientRequest = httpRequest(
      {
        ...target(api, path),
        method: 'POST',
        headers: { 'lambda-runtime-function-response-mode': 'streaming', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolvePromise());
      },
    );
    // A reset while streaming means the client left; the handler hears of it through its stream.
    req.once('error', () => resolvePromise());
    const out = req as unknown as ResponseStream & ClientRequest;
    out.setContentType = (type: string) => {
      if (!req.headersSent) req.setHeader('content-type', type);
    };
    run(out).then(
      () => {
        if (!req.writableEnded && !req.destroyed) req.end();
      },
      (error: unknown) => {
        req.destroy(error instanceof Error ? error : new Error(String(error)));
        reject(error);
      },
    );
  });
}
