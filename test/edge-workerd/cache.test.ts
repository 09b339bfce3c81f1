// The edge's proxy cache in real workerd, kept in the Cache API, in front
// of an origin on Node that counts what reaches it.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHarness } from 'wrangler';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_BUILD_CONDITIONS = '@gatehouse/source,workerd,worker,browser';

const CONFIG = join(import.meta.dirname, 'worker/wrangler.cache.toml');
const hits = new Map<string, number>();
let origin: Server;
let harness: ReturnType<typeof createTestHarness>;
/** While true the origin answers 503 to everything. */
let failing = false;

beforeAll(async () => {
  origin = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    if (failing) {
      res.writeHead(503).end('down');
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'cache-control': 'max-age=600' };
    let body = `${path} ${hit}`;
    if (path === '/hot') {
      setTimeout(() => res.writeHead(200, headers).end('hot'), 300);
      return;
    }
    if (path === '/short') headers['cache-control'] = 'max-age=1, stale-if-error=600';
    // Stale after a second the first time; the refresh stays fresh, so the test
    // reads HIT after it however long the poll below takes.
    if (path === '/swr') headers['cache-control'] = hit === 1 ? 'max-age=1, stale-while-revalidate=600' : 'max-age=600';
    if (path === '/lang') {
      headers.vary = 'Accept-Language';
      body = `lang ${req.headers['accept-language'] ?? 'none'}`;
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  harness = createTestHarness({ workers: [{ configPath: CONFIG, vars: { ORIGIN: url } }] });
  await harness.listen();
}, 60_000);

afterAll(async () => {
  await harness?.close();
  origin?.closeAllConnections();
  await new Promise((resolve) => origin?.close(resolve));
});

const get = async (path: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
  const response = await harness.fetch(path, init);
  return { status: response.status, cache: response.headers.get('x-cache-status'), age: response.headers.get('age'), body: await response.text() };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the proxy cache in workerd, on the Cache API', () => {
  it('keeps a page: MISS, then HIT with its Age, the origin asked once', async () => {
    expect(await get('/page')).toMatchObject({ status: 200, cache: 'MISS', body: '/page 1' });
    expect(await get('/page')).toMatchObject({ status: 200, cache: 'HIT', body: '/page 1', age: expect.stringMatching(/^\d+$/) });
    expect(hits.get('/page')).toBe(1);
  });

  it('a herd of 200 concurrent misses reaches the origin once', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => get('/hot')));
    expect(hits.get('/hot')).toBe(1);
    expect(answers.every((answer) => answer.status === 200 && answer.body === 'hot')).toBe(true);
  }, 30_000);

  it('keeps variants apart by Vary', async () => {
    expect((await get('/lang', { headers: { 'accept-language': 'fr' } })).body).toBe('lang fr');
    expect(await get('/lang', { headers: { 'accept-language': 'de' } })).toMatchObject({ cache: 'MISS', body: 'lang de' });
    expect(await get('/lang', { headers: { 'accept-language': 'fr' } })).toMatchObject({ cache: 'HIT', body: 'lang fr' });
  });

  it('stale-while-revalidate answers stale and refreshes in the background', async () => {
    await get('/swr');
    await sleep(2_100);
    expect(await get('/swr')).toMatchObject({ cache: 'UPDATING', body: '/swr 1' });
    // The refresh runs in ctx.waitUntil; its answer is kept once it lands.
    let last = await get('/swr');
    for (let i = 0; i < 50 && last.body === '/swr 1'; i++) {
      await sleep(100);
      last = await get('/swr');
    }
    expect(last).toMatchObject({ cache: 'HIT', body: '/swr 2' });
    expect(hits.get('/swr')).toBe(2);
  }, 15_000);

  it('stale-if-error stands in while the origin fails', async () => {
    await get('/short');
    await sleep(2_100);
    failing = true;
    try {
      expect(await get('/short')).toMatchObject({ status: 200, cache: 'STALE', body: '/short 1' });
      expect((await get('/never-kept')).status).toBe(503);
    } finally {
      failing = false;
    }
  }, 15_000);

  it('PURGE by prefix, behind its token', async () => {
    await get('/blog/a');
    await get('/blog/b');
    await get('/other');
    expect((await get('/blog/*', { method: 'PURGE' })).status).toBe(403);
    expect((await get('/blog/*', { method: 'PURGE', headers: { authorization: 'Bearer purge-me' } })).status).toBe(200);
    expect((await get('/blog/a')).cache).toBe('MISS');
    expect((await get('/blog/b')).cache).toBe('MISS');
    expect((await get('/other')).cache).toBe('HIT');
  });

  it('the status page counts the cache', async () => {
    const status = (await (await harness.fetch('/_status?format=json&token=look')).json()) as { caches: { route: string; hitRatio: number; counts: Record<string, number> }[] };
    const cache = status.caches.find((entry) => entry.route === '/')!;
    expect(cache.counts.HIT).toBeGreaterThanOrEqual(199);
    expect(cache.counts.STALE).toBe(1);
    expect(cache.hitRatio).toBeGreaterThan(0.5);
  });
});
