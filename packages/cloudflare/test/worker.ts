/**
 * The test Worker (`main` of test/wrangler.toml): `worker(app)` for an App
 * that tells what it was given. What its waitUntil work and scheduled runs
 * leave behind is kept in this isolate and read back with GET /log?key=.
 */
import type { App } from '@gatehouse/core';
import { defineEdge } from '@gatehouse/edge';
import { ConcurrencyCounter, durableConcurrencyStore } from '../src/concurrency-store.ts';
import { HealthStoreObject } from '../src/health-store.ts';
import { type GatehouseWorker, worker } from '../src/index.ts';

export { ConcurrencyCounter, HealthStoreObject };

export interface TestEnv {
  GREETING: string;
  HEALTH: DurableObjectNamespace<HealthStoreObject>;
  CONCURRENCY: DurableObjectNamespace<ConcurrencyCounter>;
}

/** What the App saw of one request, as GET /echo answers it. */
export interface Echo {
  genuine: boolean;
  method: string;
  url: string;
  body: string;
  clientAddress: string | null;
  clientAddressDefined: boolean;
  runtime: string;
  props: unknown;
  greeting: string;
}

/** What the App saw of one scheduled run, as it logs it. */
export interface ScheduledRun {
  cron: string;
  scheduledTime: number;
  runtime: string;
  clientAddressDefined: boolean;
  props: unknown;
  greeting: string;
}

const log = new Map<string, unknown>();

/** Work that only ends well after the handler returned: it is done only if something waited for it. */
async function later(key: string, value: unknown): Promise<void> {
  await scheduler.wait(50);
  log.set(key, value);
}

/**
 * An answer that starts at once and then stays open until its client
 * cancels it (or 20 s have passed): a download in flight.
 */
function held(): Response {
  const encoder = new TextEncoder();
  let sent = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(encoder.encode('started\n'));
          return;
        }
        await scheduler.wait(20_000);
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { 'content-type': 'text/plain' } });
}

/** GET /limited: one answer in flight per client address across every isolate, counted in the ConcurrencyCounter object. */
const limited = defineEdge((env: TestEnv) => ({
  routes: { '/limited': { fetch: held, concurrency: { max: 1, store: durableConcurrencyStore(env.CONCURRENCY) } } },
}));

export const app: App<TestEnv> = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/echo':
        return Response.json({
          genuine: request instanceof Request,
          method: request.method,
          url: request.url,
          body: await request.text(),
          clientAddress: ctx.clientAddress ?? null,
          clientAddressDefined: ctx.clientAddress !== undefined,
          runtime: ctx.runtime,
          props: ctx.props,
          greeting: env.GREETING,
        } satisfies Echo);
      case '/later': {
        // Detached, as an App written for Node or Lambda may call it.
        const { waitUntil } = ctx;
        waitUntil(later(url.searchParams.get('key')!, 'done'));
        return new Response(null, { status: 202 });
      }
      case '/log':
        return Response.json(log.get(url.searchParams.get('key')!) ?? null);
      case '/limited':
        return limited.fetch(request, env, ctx);
      default:
        return new Response('not found', { status: 404 });
    }
  },

  async scheduled(controller, env, ctx) {
    if (controller.cron === '0 3 * * *') {
      controller.noRetry();
      throw new Error('an expected failure: the test App fails its 0 3 * * * run');
    }
    const run: ScheduledRun = {
      cron: controller.cron,
      scheduledTime: controller.scheduledTime,
      runtime: ctx.runtime,
      clientAddressDefined: ctx.clientAddress !== undefined,
      props: ctx.props,
      greeting: env.GREETING,
    };
    log.set(`scheduled:${controller.scheduledTime}`, run);
    ctx.waitUntil(later(`scheduled:${controller.scheduledTime}:waited`, true));
  },
};

const handler: GatehouseWorker<TestEnv> = worker(app);
export default handler;
