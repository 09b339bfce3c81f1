// Everything here runs inside workerd. "fetch" and "a cron trigger" go
// through the test Worker (test/worker.ts, whose default export is
// `worker(app)`) by the loopback binding of its default export: workerd
// builds the Request, the ExecutionContext and the ScheduledController, as
// for a request from Cloudflare or a cron trigger. "worker(app)" calls the
// handlers directly.
import { createExecutionContext, createScheduledController } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Echo, ScheduledRun } from '../test/worker.ts';
import type { CloudflareContext } from './context.ts';
import { worker } from './worker.ts';

/** `Fetcher.scheduled()`: in workerd behind `service_binding_extra_handlers`, absent from the stable types. */
interface ScheduledFetcher {
  scheduled(options?: { cron?: string; scheduledTime?: Date }): Promise<{ outcome: string; noRetry: boolean }>;
}
const cron = exports.default as unknown as ScheduledFetcher;

async function readLog(key: string): Promise<unknown> {
  const response = await exports.default.fetch(`https://test.example/log?key=${encodeURIComponent(key)}`);
  return response.json();
}

describe('fetch', () => {
  it('hands the App the request workerd made, env, and the Context fields', async () => {
    const response = await exports.default.fetch('https://test.example/echo?q=1', {
      method: 'POST',
      body: 'ping',
      headers: { 'CF-Connecting-IP': '203.0.113.7' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      genuine: true,
      method: 'POST',
      url: 'https://test.example/echo?q=1',
      body: 'ping',
      clientAddress: '203.0.113.7',
      clientAddressDefined: true,
      runtime: 'workerd',
      props: {},
      greeting: 'hello',
    } satisfies Echo);
  });

  it('leaves clientAddress undefined without CF-Connecting-IP', async () => {
    const response = await exports.default.fetch('https://test.example/echo', {
      headers: { 'X-Forwarded-For': '198.51.100.1' },
    });
    const echo = (await response.json()) as Echo;
    expect(echo.clientAddressDefined).toBe(false);
    expect(echo.clientAddress).toBeNull();
  });

  it("gives the App the entrypoint's props", async () => {
    const withProps = exports.default({ props: { tenant: 'acme', plan: 2 } });
    const echo = (await (await withProps.fetch('https://test.example/echo')).json()) as Echo;
    expect(echo.props).toEqual({ tenant: 'acme', plan: 2 });
  });

  it('keeps the request alive for waitUntil work, called detached, after the response', async () => {
    const key = `later:${crypto.randomUUID()}`;
    const response = await exports.default.fetch(`https://test.example/later?key=${key}`);
    expect(response.status).toBe(202);
    // The work ends 50 ms after the response: wait for it, up to 2 s.
    let seen: unknown = null;
    for (const deadline = Date.now() + 2_000; seen === null && Date.now() < deadline; ) {
      await scheduler.wait(10);
      seen = await readLog(key);
    }
    expect(seen).toBe('done');
  });
});

describe('a cron trigger', () => {
  it("runs the App's scheduled() with the cron, the due time and the Context, and waits for its waitUntil work", async () => {
    const scheduledTime = Date.UTC(2026, 10, 25, 12, 5);
    const result = await cron.scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(scheduledTime) });
    expect(result).toEqual({ outcome: 'ok', noRetry: false });
    expect(await readLog(`scheduled:${scheduledTime}`)).toEqual({
      cron: '*/5 * * * *',
      scheduledTime,
      runtime: 'workerd',
      clientAddressDefined: false,
      props: {},
      greeting: 'hello',
    } satisfies ScheduledRun);
    // The event is over only once the waitUntil work is: no polling needed.
    expect(await readLog(`scheduled:${scheduledTime}:waited`)).toBe(true);
  });

  it("reports the App's failure, and its noRetry(), to workerd", async () => {
    // workerd logs the run's error as an "uncaught exception": that one is expected.
    const result = await cron.scheduled({ cron: '0 3 * * *' });
    expect(result).toEqual({ outcome: 'exception', noRetry: true });
  });
});

describe('worker(app)', () => {
  it('has no scheduled handler when the App has no scheduled()', () => {
    const handler = worker({ fetch: () => new Response('ok') });
    expect('scheduled' in handler).toBe(false);
    expect(Object.keys(handler)).toEqual(['fetch']);
  });

  it("passes the App's scheduled() workerd's controller and env as they are", async () => {
    const env = { GREETING: 'hi' };
    const controller = createScheduledController({ cron: '30 2 * * 1', scheduledTime: 1_700_000_000_000 });
    let seen: [unknown, unknown, string] | undefined;
    const handler = worker<typeof env>({
      fetch: () => new Response(),
      scheduled(c, e, ctx) {
        seen = [c, e, ctx.runtime];
      },
    });
    expect(Object.keys(handler)).toEqual(['fetch', 'scheduled']);
    await handler.scheduled!(controller, env, createExecutionContext());
    expect(seen?.[0]).toBe(controller);
    expect(seen?.[1]).toBe(env);
    expect(seen?.[2]).toBe('workerd');
  });

  it("hands the App workerd's Request, and returns the App's Response and errors, as they are", async () => {
    const request = new Request('https://x/', { method: 'PUT', body: 'body' });
    const response = new Response('mine');
    let seen: Request | undefined;
    const handler = worker({ fetch: (r) => ((seen = r), response) });
    expect(await handler.fetch(request as never, {}, createExecutionContext())).toBe(response);
    expect(seen).toBe(request);
    const failing = worker({
      fetch: () => {
        throw new RangeError('nope');
      },
    });
    expect(() => failing.fetch(new Request('https://x/') as never, {}, createExecutionContext())).toThrow(RangeError);
  });

  it('serves a Hono app, which sees env and the Context in c.env and c.executionCtx', async () => {
    const hono = new Hono<{ Bindings: { GREETING: string } }>().get('/hi', (c) => {
      const ctx = c.executionCtx as unknown as CloudflareContext;
      return c.text(`${c.env.GREETING} ${ctx.clientAddress} on ${ctx.runtime}`);
    });
    const request = new Request('https://x/hi', { headers: { 'CF-Connecting-IP': '192.0.2.9' } });
    const response = await worker(hono).fetch(request as never, { GREETING: 'hello' }, createExecutionContext());
    expect(await response.text()).toBe('hello 192.0.2.9 on workerd');
  });
});
