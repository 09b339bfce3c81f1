import type { Context } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { testContext } from '../_test-context.ts';
import { defineEdge } from '../define-edge.ts';
import { memoryRateLimitStore } from './rate-limit.ts';

describe('memoryRateLimitStore', () => {
  it('is a token bucket: burst + 1 at once, then the rate, with the seconds to wait', () => {
    let now = 1_000_000;
    const store = memoryRateLimitStore({ clock: () => now });
    const take = (): unknown => store.take('k', 2, 3);
    expect([take(), take(), take(), take()].map((decision) => (decision as { allowed: boolean }).allowed)).toEqual([true, true, true, true]);
    expect(take()).toEqual({ allowed: false, retryAfter: 1 });
    now += 500; // one token back at 2 a second
    expect(take()).toMatchObject({ allowed: true });
    expect(take()).toMatchObject({ allowed: false });
    // Another key has its own bucket.
    expect(store.take('other', 2, 3)).toMatchObject({ allowed: true });
    // A slow rate says how long to wait.
    expect([store.take('slow', 0.1, 0), store.take('slow', 0.1, 0)]).toEqual([{ allowed: true, retryAfter: 0 }, { allowed: false, retryAfter: 10 }]);
  });

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const store = memoryRateLimitStore({ maxKeys: 2, clock: () => 0 });
    store.take('a', 1, 0);
    store.take('b', 1, 0);
    store.take('c', 1, 0);
    // 'a' was forgotten: a full bucket again.
    expect(store.take('a', 1, 0)).toMatchObject({ allowed: true });
    expect(store.take('c', 1, 0)).toMatchObject({ allowed: false });
  });
});

describe('rateLimit on a route', () => {
  const from = (clientAddress: string): Context => ({ ...testContext, clientAddress });
  const edge = defineEdge({
    routes: {
      // Slow rates, so that however slow the machine no token comes back during a test.
      '/login': { respond: 'ok', rateLimit: { rate: 0.01, burst: 2 } },
      '/api/': { respond: 'api', rateLimit: { rate: 0.01, key: { header: 'x-api-key' } } },
    },
  });
  const status = async (path: string, ctx: Context, headers: Record<string, string> = {}): Promise<number> =>
    (await edge.fetch(new Request(`http://example.com${path}`, { headers }), {}, ctx)).status;

  it('answers 429 with Retry-After past the rate and burst, per client address', async () => {
    const flood = [];
    for (let i = 0; i < 5; i++) flood.push(await status('/login', from('198.51.100.1')));
    expect(flood).toEqual([200, 200, 200, 429, 429]);
    const refused = await edge.fetch(new Request('http://example.com/login'), {}, from('198.51.100.1'));
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '100']);
    expect(await status('/login', from('198.51.100.2'))).toBe(200);
  });

  it('keeps a limit per header value, and leaves requests without one alone', async () => {
    expect([await status('/api/x', testContext, { 'x-api-key': 'k1' }), await status('/api/x', testContext, { 'x-api-key': 'k1' })]).toEqual([200, 429]);
    expect(await status('/api/x', testContext, { 'x-api-key': 'k2' })).toBe(200);
    expect([await status('/api/x', testContext), await status('/api/x', testContext)]).toEqual([200, 200]);
  });

  it('refuses a rate that is none when the edge is defined', () => {
    expect(() => defineEdge({ routes: { '/': { respond: 'x', rateLimit: { rate: 0 } } } })).toThrow('location "/": rateLimit.rate is requests a second');
  });
});

describe('concurrency on a route', () => {
  it('answers 429 to a request past the most in flight, and counts one as done once its body has gone', async () => {
    const edge = defineEdge({
      routes: {
        '/download': {
          fetch: () => new Response(new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(1)) }, { highWaterMark: 0 })),
          concurrency: { max: 2 },
        },
      },
    });
    const download = (): Promise<Response> => Promise.resolve(edge.fetch(new Request('http://example.com/download'), {}, testContext));
    const first = await download();
    const second = await download();
    const third = await download();
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(third.headers.get('retry-after')).toBe('1');
    // Another client is counted apart.
    expect((await Promise.resolve(edge.fetch(new Request('http://example.com/download'), {}, { ...testContext, clientAddress: '198.51.100.7' }))).status).toBe(200);
    // The first download ends (the client left): a place is free again.
    await first.body!.cancel();
    const fourth = await download();
    expect(fourth.status).toBe(200);
    expect((await download()).status).toBe(429);
  });
});
