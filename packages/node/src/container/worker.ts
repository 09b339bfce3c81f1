/**
 * A container's worker process: loads the App, serves it on the port the
 * workers share, and answers the primary (heartbeats, drain, scheduled runs).
 * Started by the primary through node:cluster; not meant to be run by hand.
 */
import cluster from 'node:cluster';
import type { App, Context, ScheduledController } from '@gatehouse/core';
import { serveWithState, type ServedApp } from '../serve.ts';
import { AppLoadError, loadApp } from './load-app.ts';
import { isPrimaryMessage, type PrimaryMessage, WORKER_CONFIG_ENV, type WorkerConfig, type WorkerMessage } from './protocol.ts';

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as WorkerConfig | null;
if (config === null || !cluster.isWorker) {
  console.error('[gatehouse] this file is a container worker: start it through startContainer() or `gatehouse start`');
  process.exit(2);
}

const send = (message: WorkerMessage): void => {
  if (process.connected) process.send?.(message);
};

// The terminal sends Ctrl-C and hang-ups to the whole process group: the
// primary decides what they mean, and tells the workers.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});

let served: ServedApp | undefined;
let stopping: Promise<void> | undefined;
/** Scheduled runs under way: a stopping worker lets them finish too. */
const runs = new Set<Promise<unknown>>();

const stop = (how: 'drain' | 'stop'): Promise<void> =>
  (stopping ??= (async () => {
    const requests = served === undefined ? undefined : how === 'drain' ? served.drain() : served.server.close();
    const deadline = new Promise((resolve) => setTimeout(resolve, config.gracefulTimeout).unref());
    await Promise.all([requests, Promise.race([Promise.allSettled(runs), deadline])]);
    process.exit(0);
  })());

// When the primary dies, Node's cluster code ends this process at once.

async function start(config: WorkerConfig): Promise<void> {
  const app = await loadApp(config.app, config.needsScheduled);
  served = await serveWithState(withReadiness(app, config.readinessPath), {
    port: config.port,
    hostname: config.hostname,
    handlerTimeout: config.handlerTimeout,
    gracefulTimeout: config.gracefulTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    headersTimeout: config.headersTimeout,
    requestTimeout: config.requestTimeout,
    maxBodySize: config.maxBodySize,
    trustProxy: config.trustProxy,
  });
  const { state } = served;
  const probe = config.readinessPath;
  if (probe !== undefined) state.uncounted = (req) => req.url === probe || req.url?.startsWith(`${probe}?`) === true;
  const limit = config.maxRequests;
  if (limit > 0) {
    state.onRequest = (requests) => {
      if (requests === limit) send({ t: 'retire' });
    };
  }
  const beat = (report?: number): void => {
    const busy = state.busyTime + (state.inFlight > 0 ? performance.now() - state.busySince : 0);
    send({ t: 'beat', requests: state.requests, inFlight: state.inFlight, busy, rss: process.memoryUsage.rss(), report });
    // Asked again until it happens: the primary may not have been able to replace us yet.
    if (limit > 0 && state.requests >= limit && stopping === undefined) send({ t: 'retire' });
  };
  setInterval(() => beat(), config.heartbeatInterval).unref();
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.t === 'report') beat(message.id);
    else handle(message, app);
  });
  send({ t: 'ready', port: served.server.port });
  beat();
}

function handle(message: Exclude<PrimaryMessage, { t: 'report' }>, app: App<unknown>): void {
  switch (message.t) {
    case 'drain':
    case 'stop':
      void stop(message.t);
      return;
    case 'run': {
      const run = runScheduled(app, message.cron, message.scheduledTime).then(
        () => send({ t: 'ran', id: message.id, error: undefined }),
        (error: unknown) => send({ t: 'ran', id: message.id, error: describeError(error) }),
      );
      runs.add(run);
      void run.finally(() => runs.delete(run));
    }
  }
}

/** One scheduled run, as Workers makes it: done once the handler and its waitUntil work have settled. */
async function runScheduled(app: App<unknown>, cron: string, scheduledTime: number): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const controller: ScheduledController = { cron, scheduledTime, noRetry() {} };
  const ctx: Context = {
    waitUntil: (promise) => void pending.push(promise),
    passThroughOnException() {},
    clientAddress: undefined,
    runtime: 'node',
    props: {},
  };
  let failure: unknown;
  try {
    await app.scheduled!(controller, process.env, ctx);
  } catch (error) {
    failure = error;
  }
  // waitUntil may be called while earlier work runs: wait for all of it.
  for (let settledCount = 0; settledCount < pending.length; ) {
    const batch = pending.slice(settledCount);
    settledCount = pending.length;
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'rejected') failure ??= result.reason;
    }
  }
  if (failure !== undefined) throw failure;
}

function withReadiness(app: App<unknown>, path: string | undefined): App<unknown> {
  if (path === undefined) return app;
  return {
    fetch(request, env, ctx) {
      // The cheap test first: most requests are not probes.
      if (request.url.includes(path) && new URL(request.url).pathname === path) {
        // Draining: a load balancer asking should stop sending here.
        const ready = stopping === undefined;
        return new Response(ready ? 'ready\n' : 'draining\n', {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        });
      }
      return app.fetch(request, env, ctx);
    },
    scheduled: app.scheduled,
  };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

start(config).catch((error: unknown) => {
  const message =
    error instanceof AppLoadError
      ? error.message
      : (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.hostname} is already in use`
        : (error as NodeJS.ErrnoException).code === 'EACCES'
          ? `no permission to listen on port ${config.port} on ${config.hostname}`
          : // Said in one line: a stack means nothing to whoever started the container.
            `${(error as Error).message ?? String(error)}`;
  // Exit once the message has crossed, not before.
  if (process.connected && process.send !== undefined) process.send({ t: 'failed', message } satisfies WorkerMessage, () => process.exit(1));
  else process.exit(1);
});
