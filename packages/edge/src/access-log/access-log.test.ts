import type { Context } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { testContext } from '../_test-context.ts';
import { defineEdge } from '../define-edge.ts';

/** A context that keeps what is handed to waitUntil, so a test can wait for the log. */
function waitingContext(): Context & { settled(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    ...testContext,
    waitUntil: (promise) => void pending.push(promise),
    async settled() {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
  };
}

const origin = {
  fetch: (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === '/api/stream') {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('12345'));
          controller.enqueue(new TextEncoder().encode('678'));
          controller.close();
        },
      });
      return new Response(body);
    }
    return new Response(`hello ${url.pathname}`);
  },
};

describe('accessLog', () => {
  const lines: string[] = [];
  const edgeWith = (format: 'combined' | 'json') =>
    defineEdge({
      accessLog: { format, write: (line) => void lines.push(line) },
      pools: { api: { servers: [{ app: origin }] } },
      routes: { '= /healthz': { respond: 'ok' }, '/api/': { proxy: 'api' }, '/admin/': { respond: 'no', access: ['deny all'] } },
    });

  it('writes nginx combined lines once the body has gone, escaping what the client sent', async () => {
    lines.length = 0;
    const edge = edgeWith('combined');
    const ctx = waitingContext();
    const response = await edge.fetch(
      new Request('http://example.com/healthz?x=1', { headers: { 'user-agent': 'curl/8 "quoted"\tpäss', referer: 'https://ref.example/' } }),
      {},
      ctx,
    );
    // Nothing is written on the response path: only once the body was read.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines).toEqual([]);
    expect(await response.text()).toBe('ok');
    await ctx.settled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^203\.0\.113\.9 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/healthz\?x=1 HTTP\/1\.1" 200 2 "https:\/\/ref\.example\/" "curl\/8 \\x22quoted\\x22\\x09p\\xC3\\xA4ss"$/,
    );
  });

  it('writes JSON with the route, the upstream, its time and the bytes a streamed body had', async () => {
    lines.length = 0;
    const edge = edgeWith('json');
    const ctx = waitingContext();
    const response = await edge.fetch(new Request('http://example.com/api/stream'), {}, ctx);
    expect(await response.text()).toBe('12345678');
    await ctx.settled();
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ method: 'GET', uri: '/api/stream', status: 200, bytes: 8, completed: true, route: '/api/', upstream: 'app:0', remote_addr: '203.0.113.9', cache: null });
    expect(typeof entry.upstream_time_ms).toBe('string');
    // A refusal by the rules is logged too, with its own status.
    await (await edge.fetch(new Request('http://example.com/admin/'), {}, ctx)).text();
    await ctx.settled();
    expect(JSON.parse(lines[1]!)).toMatchObject({ status: 403, route: '/admin/', upstream: null });
  });

  it('logs a client that left before the body ended, with the bytes it got', async () => {
    lines.length = 0;
    const edge = edgeWith('json');
    const ctx = waitingContext();
    const response = await edge.fetch(new Request('http://example.com/api/stream'), {}, ctx);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await ctx.settled();
    expect(JSON.parse(lines[0]!)).toMatchObject({ bytes: 5, completed: false });
  });

  it('refuses a format it does not write', () => {
    expect(() => defineEdge({ accessLog: { format: 'common' as 'json' }, routes: { '/': { respond: 'x' } } })).toThrow("accessLog.format is 'combined' or 'json'");
  });
});
