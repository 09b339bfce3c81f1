import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

const PREFIX = '/2018-06-01/runtime';

/** What a function answered to one invocation, as the Runtime API received it. */
export type Outcome =
  | { type: 'result'; payload: unknown }
  | { type: 'stream'; contentType: string | undefined; body: Readable }
  | { type: 'error'; errorType: string; errorMessage: string };

export interface RuntimeApi {
  /** host:port, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** Queue an event for the function and wait for its answer. */
  invoke(event: unknown, options?: { timeout?: number }): Promise<Outcome>;
  /** The error the function reported while it started, if any. */
  readonly initError: Promise<Outcome & { type: 'error' }>;
  close(): Promise<void>;
}

interface Pending {
  id: string;
  event: unknown;
  deadline: number;
  settle: (outcome: Outcome) => void;
}

/**
 * The Lambda Runtime API (2018-06-01), as a function process talks to it:
 * `GET /runtime/invocation/next` hands out events one by one, long-polling
 * while there are none; `POST /runtime/invocation/{id}/response` takes the
 * answer, buffered JSON or, with `Lambda-Runtime-Function-Response-Mode:
 * streaming`, a chunked stream; `POST …/{id}/error` and
 * `POST /runtime/init/error` take failures. Point a runtime client (ours,
 * in `bootstrap.ts`, or any other) at `address`.
 */
export async function startRuntimeApi(options: { port?: number } = {}): Promise<RuntimeApi> {
  const queue: Pending[] = [];
  const waiting: ((pending: Pending) => void)[] = [];
  const inFlight = new Map<string, Pending>();
  let reportInitError!: (outcome: Outcome & { type: 'error' }) => void;
  const initError = new Promise<Outcome & { type: 'error' }>((resolve) => (reportInitError = resolve));

  const server = createServer((req, res) => {
    const path = req.url ?? '';
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      const hand = (pending: Pending): void => {
        inFlight.set(pending.id, pending);
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': pending.id,
          'lambda-runtime-deadline-ms': String(pending.deadline),
          'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:emulated',
          // X-Ray's format: 1-<epoch seconds, 8 hex digits>-<24 hex digits>.
          'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
        });
        res.end(JSON.stringify(pending.event));
      };
      const next = queue.shift();
      if (next !== undefined) {
        hand(next);
        return;
      }
      waiting.push(hand);
      // A function process that goes away mid-poll must not be handed the next event.
      res.once('close', () => {
        const at = waiting.indexOf(hand);
        if (at !== -1) waiting.splice(at, 1);
      });
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === 'POST' && match !== null) {
      const pending = inFlight.get(decodeURIComponent(match[1]!));
      if (pending === undefined) {
        answer(res, 404, { errorMessage: 'Unknown request id', errorType: 'InvalidRequestID' });
        return;
      }
      inFlight.delete(pending.id);
      if (match[2] === 'error') {
        readJson(req).then(
          (body) => {
            pending.settle(errorOutcome(body, req.headers['lambda-runtime-function-error-type']));
            answer(res, 202, { status: 'OK' });
          },
          () => {
            pending.settle(errorOutcome(undefined, req.headers['lambda-runtime-function-error-type']));
            answer(res, 202, { status: 'OK' });
          },
        );
        return;
      }
      if (String(req.headers['lambda-runtime-function-response-mode']).toLowerCase() === 'streaming') {
        pending.settle({ type: 'stream', contentType: req.headers['content-type'], body: req });
        const acknowledge = (): void => answer(res, 202, { status: 'OK' });
        req.once('end', acknowledge);
        req.once('error', () => res.destroy());
        return;
      }
      readJson(req).then(
        (payload) => {
          pending.settle({ type: 'result', payload });
          answer(res, 202, { status: 'OK' });
        },
        () => {
          // As Lambda: the invocation fails, and the function hears why.
          pending.settle({ type: 'error', errorType: 'Runtime.InvalidResponse', errorMessage: 'The response is not JSON' });
          answer(res, 400, { errorMessage: 'The response is not JSON', errorType: 'InvalidRequest' });
        },
      );
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      readJson(req).then(
        (body) => {
          reportInitError(errorOutcome(body, req.headers['lambda-runtime-function-error-type']));
          answer(res, 202, { status: 'OK' });
        },
        () => {
          reportInitError(errorOutcome(undefined, req.headers['lambda-runtime-function-error-type']));
          answer(res, 202, { status: 'OK' });
        },
      );
      return;
    }
    answer(res, 404, { errorMessage: `No such endpoint: ${req.method} ${path}`, errorType: 'NotFound' });
  });
  // Long polls outlive Node's default request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    initError,
    invoke(event, invokeOptions = {}) {
      const timeout = invokeOptions.timeout ?? 30_000;
      return new Promise<Outcome>((resolve) => {
        let settled = false;
        const settle = (outcome: Outcome): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        // Lambda ends an invocation at its timeout, whatever the function is doing.
        const timer = setTimeout(() => {
          inFlight.delete(pending.id);
          const queued = queue.indexOf(pending);
          if (queued !== -1) queue.splice(queued, 1);
          settle({ type: 'error', errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeout} ms` });
        }, timeout);
        const pending: Pending = { id: randomUUID(), event, deadline: Date.now() + timeout, settle };
        const waiter = waiting.shift();
        if (waiter !== undefined) waiter(pending);
        else queue.push(pending);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An error report as the function sent it; a missing or odd body still makes a clear outcome. */
function errorOutcome(body: unknown, typeHeader: string | string[] | undefined): Outcome & { type: 'error' } {
  const error = typeof body === 'object' && body !== null ? (body as { errorType?: unknown; errorMessage?: unknown }) : {};
  const header = Array.isArray(typeHeader) ? typeHeader[0] : typeHeader;
  return {
    type: 'error',
    errorType: typeof error.errorType === 'string' ? error.errorType : (header ?? 'Unknown'),
    errorMessage: typeof error.errorMessage === 'string' ? error.errorMessage : '',
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text === '' ? null : JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
    req.once('error', reject);
  });
}
