import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const PREFIX = '/2018-06-01/runtime';

// From the sources (inside this repository) the bootstrap is TypeScript, which Node runs as is.
const BOOTSTRAP = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './bootstrap.ts' : './bootstrap.js', import.meta.url));

/** How long a runtime has to end on SIGTERM before SIGKILL, as Lambda gives a runtime with no extensions. */
const SHUTDOWN_GRACE = 500;

/** What a function answered to one invocation, as the Runtime API received it. */
export type Outcome =
  | { type: 'result'; payload: unknown }
  | { type: 'stream'; contentType: string | undefined; body: Readable }
  | { type: 'error'; errorType: string; errorMessage: string };

type ErrorOutcome = Outcome & { type: 'error' };

/**
 * A function process for the Runtime API to start itself, with this
 * package's runtime client, as Lambda starts one in an execution
 * environment. A `bundleFunction()` result is one.
 */
export interface RuntimeProcess {
  /** Where the function's files are: `LAMBDA_TASK_ROOT`. */
  readonly taskRoot: string;
  /** Lambda's Handler setting, `file.export`: `_HANDLER`. */
  readonly handler: string;
  /** More environment for the process, over this process's own. */
  readonly env?: Record<string, string>;
  /**
   * Where the function's output goes: `'inherit'` (the default), this
   * process's stdout and stderr; `'ignore'`; or a function given each
   * process's stdout and stderr as it starts (`gatehouse dev` prefixes
   * their lines).
   */
  readonly stdio?: 'inherit' | 'ignore' | ((stdout: Readable, stderr: Readable) => void);
}

export interface RuntimeApiOptions {
  /** Defaults to 0: any free port. */
  port?: number;
  /**
   * The function process to start on the first invocation, and again on
   * the next after it exits, fails its init or runs out of time: a cold
   * start each time, as on Lambda. Without it, start a runtime yourself;
   * the emulator then hears of its init error but cannot see it exit.
   */
  runtime?: RuntimeProcess;
}

export interface RuntimeApi {
  /** host:port, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  /** Queue an event for the function and wait for its answer. */
  invoke(event: unknown, options?: { timeout?: number }): Promise<Outcome>;
  /** The first error a runtime reported while it started, if any. */
  readonly initError: Promise<ErrorOutcome>;
  /** Answers whatever still waits with an error, stops the runtime it started, and closes. */
  close(): Promise<void>;
}

interface Pending {
  id: string;
  event: unknown;
  /** Starts the function's timeout, as the runtime gets the event; returns the deadline. */
  begin: () => number;
  settle: (outcome: Outcome) => void;
}

/** A runtime's open `GET /next`, waiting for an event. */
interface Poller {
  /** The poll's connection: once destroyed, the runtime that asked has gone. */
  readonly socket: Socket;
  /** Answers the poll with the event; false if its runtime has gone. */
  readonly take: (pending: Pending) => boolean;
}

/**
 * @internal What a Runtime API holds at one moment: what its tests wait
 * on, since the server sees a poll arrive or go away only some time after
 * the client acts, and no fixed sleep covers that time on a loaded machine.
 */
export interface RuntimeApiState {
  /** Polls still open on a live connection: runtimes that asked for an event and still wait. */
  readonly polling: number;
  /** Events no runtime has taken yet. */
  readonly queued: number;
  /** Events a runtime has taken and not yet answered. */
  readonly running: number;
}

// Kept beside the Runtime API rather than on it, so that its public type shows nothing of this.
const states = new WeakMap<RuntimeApi, () => RuntimeApiState>();

/** @internal What `api` holds now; not exported from the package. */
export function runtimeApiState(api: RuntimeApi): RuntimeApiState {
  const state = states.get(api);
  if (state === undefined) throw new TypeError('Not a Runtime API that startRuntimeApi() made');
  return state();
}

/**
 * How long Lambda lets an execution environment start (its init phase)
 * before the first invocation: an event waits at most this long plus the
 * function's timeout for a runtime to take it.
 */
const INIT_LIMIT = 10_000;

/**
 * The Lambda Runtime API (2018-06-01), as a function process talks to it:
 * `GET /runtime/invocation/next` hands out events one by one, long-polling
 * while there are none; `POST /runtime/invocation/{id}/response` takes the
 * answer, buffered JSON or, with `Lambda-Runtime-Function-Response-Mode:
 * streaming`, a chunked stream; `POST …/{id}/error` and
 * `POST /runtime/init/error` take failures. An init error fails every
 * invocation waiting for that runtime, and those that come while no new
 * runtime has started. With `runtime`, it starts the function process
 * itself and sees it exit; otherwise point a runtime client (ours, in
 * `bootstrap.ts`, or any other) at `address`.
 */
export async function startRuntimeApi(options: RuntimeApiOptions = {}): Promise<RuntimeApi> {
  const queue: Pending[] = [];
  const waiting: Poller[] = [];
  const inFlight = new Map<string, Pending>();
  let reportInitError!: (outcome: ErrorOutcome) => void;
  const initError = new Promise<ErrorOutcome>((resolve) => (reportInitError = resolve));
  // The init error of a runtime started by hand: until another one asks for an event, none can be answered.
  let failure: ErrorOutcome | undefined;
  let closed = false;
  // The runtime started for `options.runtime`, until it exits; one at a time, as one execution environment.
  let child: ChildProcess | undefined;
  // Whether it has asked for an event: its init is over.
  let initialized = false;

  const dispatch = (pending: Pending): void => {
    for (let poller = waiting.shift(); poller !== undefined; poller = waiting.shift()) if (poller.take(pending)) return;
    queue.push(pending);
  };

  const failQueued = (outcome: (pending: Pending) => ErrorOutcome): void => {
    for (const pending of queue.splice(0)) pending.settle(outcome(pending));
  };

  const start = (runtime: RuntimeProcess): void => {
    initialized = false;
    const stdio = typeof runtime.stdio === 'function' ? 'pipe' : (runtime.stdio ?? 'inherit');
    const started = spawn(process.execPath, [BOOTSTRAP], {
      env: { ...process.env, ...runtime.env, AWS_LAMBDA_RUNTIME_API: address, _HANDLER: runtime.handler, LAMBDA_TASK_ROOT: runtime.taskRoot },
      stdio: ['ignore', stdio, stdio],
    });
    if (typeof runtime.stdio === 'function') runtime.stdio(started.stdout!, started.stderr!);
    child = started;
    started.once('exit', (code, signal) => exited(started, signal !== null ? `signal: ${signal}` : `exit status ${code}`));
    // Without a pid the process never ran, and will never emit 'exit'.
    started.on('error', (error) => {
      if (started.pid === undefined) exited(started, error.message);
    });
  };

  /**
   * A runtime that went away fails the invocation it had, in Lambda's words.
   * Those still queued never reached it: a fresh runtime takes them, unless
   * this one died in its init, which each of them would have met too.
   */
  const exited = (runtime: ChildProcess, reason: string): void => {
    if (child !== runtime) return;
    child = undefined;
    // Polls still open were the dead process's: an event handed to one would be lost.
    waiting.length = 0;
    const exitError = (pending: Pending): ErrorOutcome => ({
      type: 'error',
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${pending.id} Error: Runtime exited with error: ${reason}`,
    });
    for (const pending of inFlight.values()) pending.settle(exitError(pending));
    inFlight.clear();
    if (closed) return;
    if (!initialized) failQueued(exitError);
    else if (queue.length > 0 && options.runtime !== undefined) start(options.runtime);
  };

  const server = createServer((req, res) => {
    const path = req.url ?? '';
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      // A runtime that asks for work has started, whatever one before it reported.
      initialized = true;
      failure = undefined;
      const { socket } = req;
      const take = (pending: Pending): boolean => {
        if (socket.destroyed) return false;
        inFlight.set(pending.id, pending);
        const deadline = pending.begin();
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': pending.id,
          'lambda-runtime-deadline-ms': String(deadline),
          'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:emulated',
          // X-Ray's format: 1-<epoch seconds, 8 hex digits>-<24 hex digits>.
          'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
        });
        res.end(JSON.stringify(pending.event));
        return true;
      };
      const next = queue.shift();
      if (next !== undefined) {
        // A poller gone before its request was read keeps nothing: the event waits for the next one.
        if (!take(next)) queue.unshift(next);
        return;
      }
      const poller: Poller = { socket, take };
      waiting.push(poller);
      // A function process that goes away mid-poll must not be handed the next event.
      res.once('close', () => {
        const at = waiting.indexOf(poller);
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
      const report = (body: unknown): void => {
        const outcome = errorOutcome(body, req.headers['lambda-runtime-function-error-type']);
        reportInitError(outcome);
        failQueued(() => outcome);
        answer(res, 202, { status: 'OK' });
        if (options.runtime === undefined) {
          failure = outcome;
          return;
        }
        // As Lambda, end the environment whose init failed: the next invocation starts another at once.
        child?.kill('SIGKILL');
        child = undefined;
      };
      readJson(req).then(report, () => report(undefined));
      return;
    }
    answer(res, 404, { errorMessage: `No such endpoint: ${req.method} ${path}`, errorType: 'NotFound' });
  });
  // Long polls outlive Node's default request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: RuntimeApi = {
    address,
    initError,
    invoke(event, invokeOptions = {}) {
      const timeout = invokeOptions.timeout ?? 30_000;
      return new Promise<Outcome>((resolve) => {
        if (closed) {
          resolve(CLOSED);
          return;
        }
        if (failure !== undefined) {
          resolve(failure);
          return;
        }
        let settled = false;
        const settle = (outcome: Outcome): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        const expire = (): void => {
          const running = inFlight.delete(pending.id);
          const queued = queue.indexOf(pending);
          if (queued !== -1) queue.splice(queued, 1);
          settle({ type: 'error', errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeout} ms` });
          // Lambda resets an environment whose invocation timed out: the runtime is still busy with it.
          if (running) child?.kill('SIGKILL');
        };
        // The timeout counts from when the runtime takes the event, as on
        // Lambda, where a cold start's init is not the function's time;
        // until then the event waits at most as long as an init may take.
        let timer = setTimeout(expire, INIT_LIMIT + timeout);
        const begin = (): number => {
          clearTimeout(timer);
          // Lambda ends an invocation at its timeout, whatever the function is doing.
          timer = setTimeout(expire, timeout);
          return Date.now() + timeout;
        };
        const pending: Pending = { id: randomUUID(), event, begin, settle };
        if (options.runtime !== undefined && child === undefined) start(options.runtime);
        dispatch(pending);
      });
    },
    async close() {
      closed = true;
      waiting.length = 0;
      failQueued(() => CLOSED);
      for (const pending of inFlight.values()) pending.settle(CLOSED);
      inFlight.clear();
      if (child !== undefined) await stop(child);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  states.set(api, () => ({
    // A poll whose connection is gone is no longer waiting, whether or not its 'close' has run yet: no event goes to it.
    polling: waiting.filter((poller) => !poller.socket.destroyed).length,
    queued: queue.length,
    running: inFlight.size,
  }));
  return api;
}

const CLOSED: ErrorOutcome = { type: 'error', errorType: 'Emulator.Closed', errorMessage: 'The Runtime API closed before the function answered' };

/** SIGTERM, then SIGKILL after the grace Lambda gives, so that closing never waits on a stuck function. */
async function stop(runtime: ChildProcess): Promise<void> {
  if (runtime.pid === undefined || runtime.exitCode !== null || runtime.signalCode !== null) return;
  const gone = once(runtime, 'exit');
  runtime.kill('SIGTERM');
  const force = setTimeout(() => runtime.kill('SIGKILL'), SHUTDOWN_GRACE);
  await gone.finally(() => clearTimeout(force));
}

/** An error report as the function sent it; a missing or odd body still makes a clear outcome. */
function errorOutcome(body: unknown, typeHeader: string | string[] | undefined): ErrorOutcome {
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
