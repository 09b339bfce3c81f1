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

const stop = (how: 'drain' | 'stop'): Promise<void> =>
  (stopping ??= (async () => {
    if (served !== undefined) await (how === 'drain' ? served.drain() : served.server.close());
    process.exit(0);
  })());

// The primary is gone (killed, crashed): nobody will route to us again.
process.on('disconnect', () => void stop('stop'));

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
  if (config.maxRequests > 0) {
    const limit = config.maxRequests;
    state.onRequest = (requests) => {
      if (requests === limit) send({ t: 'retire' });
    };
  }
  const beat = (): void => {
    const busy = state.busyTime + (state.inFlight > 0 ? performance.now() - state.busySince : 0);
    send({ t: 'beat', requests: state.requests, inFlight: state.inFlight, busy, rss: process.memoryUsage.rss() });
  };
  setInterval(beat, config.heartbeatInterval).unref();
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    handle(message, app);
  });
  send({ t: 'ready', port: served.server.port });
  beat();
}

function handle(message: PrimaryMessage, app: App<unknown>): void {
  switch (message.t) {
    case 'drain':
    case 'stop':
      void stop(message.t);
      return;
    case 'run':
      runScheduled(app, message.cron, message.scheduledTime).then(
        () => send({ t: 'ran', id: message.id, error: undefined }),
        (error: unknown) => send({ t: 'ran', id: message.id, error: describeError(error) }),
      );
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
      if (request.url.endsWith(path) && new URL(request.url).pathname === path) {
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
          : describeError(error);
  // Exit once the message has crossed, not before.
  if (process.connected && process.send !== undefined) process.send({ t: 'failed', message } satisfies WorkerMessage, () => process.exit(1));
  else process.exit(1);
});
