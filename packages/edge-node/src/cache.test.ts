// The proxy cache on Node over real sockets: an edge served by
// @gatehouse/node in front of origins on 127.0.0.1 that count what reaches
// them. A thundering herd, every origin killed, and poisoning attempts.
import { createServer, type Server } from 'node:http';
import { memoryCacheStore } from '@gatehouse/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEdge } from './define-edge.ts';
import { closeAll, start } from './_test-helpers.ts';

const hits = new Map<string, number>();
const origins: Server[] = [];
let edgeUrl = '';
const logged: { uri: string; cache: string | null; status: number }[] = [];

async function origin(): Promise<string> {
  const server = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    const send = (body: string, headers: Record<string, string>) => {
      res.writeHead(200, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };
    if (path === '/hot') {
      // Slow enough that every request of the herd arrives while the first is out.
      setTimeout(() => send('hot', { 'cache-control': 'max-age=60' }), 300);
    } else if (path === '/reflect') {
      // An origin that trusts the forwarded host it is sent, as many frameworks do.
      send(`links to https://${req.headers['x-forwarded-host']}/`, { 'cache-control': 'max-age=60' });
    } else if (path === '/variant') {
      send(`variant ${req.headers['x-variant'] ?? 'none'}`, { 'cache-control': 'max-age=60', vary: 'X-Variant' });
    } else if (path.startsWith('/sie/')) {
      send(`kept ${hit}`, { 'cache-control': 'max-age=1, stale-if-error=600' });
    } else {
      send(`plain ${hit}`, { 'cache-control': 'max-age=600' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origins.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  const [main, first, second] = [await origin(), await origin(), await origin()];
  const store = memoryCacheStore();
  const edge = defineEdge({
    pools: {
      app: { servers: [main!] },
      pair: { servers: [first!, second!], failTimeout: 60_000 },
    },
    status: { path: '/_status', token: 'look' },
    accessLog: { format: 'json', write: (line) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
    routes: {
      '/sie/': { proxy: { pool: 'pair', cache: { store }, onError: () => {} } },
      // The key leaves the query and every field out: Vary still keeps variants apart.
      '/': { proxy: { pool: 'app', cache: { store, purge: { token: 'purge-me' }, key: (request) => new URL(request.url).pathname } } },
    },
  });
  edgeUrl = (await start(edge)).url.replace(/\/$/, '');
});

afterAll(async () => {
  await closeAll();
  for (const server of origins) {
    server.closeAllConnections();
    server.close();
  }
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(edgeUrl + path, { headers });
  return { status: response.status, cache: response.headers.get('x-cache-status'), body: await response.text() };
};

describe('the proxy cache over real sockets', () => {
  it('a herd of 200 concurrent misses reaches the origin once', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => get('/hot')));
    expect(hits.get('/hot')).toBe(1);
    expect(answers.every((answer) => answer.status === 200 && answer.body === 'hot')).toBe(true);
    const byStatus: Record<string, number> = {};
    for (const answer of answers) byStatus[answer.cache ?? 'none'] = (byStatus[answer.cache ?? 'none'] ?? 0) + 1;
    console.log(`herd of 200: ${JSON.stringify(byStatus)}, origin hits: 1`);
    expect(byStatus.MISS).toBe(1);
  });

  it('serves the kept page with every origin of the pool killed (stale-if-error)', async () => {
    expect(await get('/sie/page')).toMatchObject({ cache: 'MISS', body: 'kept 1' });
    const pair = origins.slice(1);
    for (const server of pair) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    // Past max-age=1: stale, and neither origin answers.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await get('/sie/page')).toMatchObject({ status: 200, cache: 'STALE', body: 'kept 1' });
    // Never kept: nothing to stand in.
    expect((await get('/sie/other')).status).toBe(502);
  });

  it('an X-Forwarded-Host from the client cannot poison the page others get', async () => {
    const attacker = await get('/reflect', { 'x-forwarded-host': 'evil.example' });
    expect(attacker.body).not.toContain('evil');
    const victim = await get('/reflect');
    expect(victim).toMatchObject({ cache: 'HIT', body: attacker.body });
    expect(victim.body).not.toContain('evil');
  });

  it('a field the key ignores but the origin varies on keeps its variants apart', async () => {
    expect((await get('/variant', { 'x-variant': 'attacker' })).body).toBe('variant attacker');
    expect(await get('/variant')).toMatchObject({ cache: 'MISS', body: 'variant none' });
    expect(await get('/variant?other=query')).toMatchObject({ cache: 'HIT', body: 'variant none' });
    expect(await get('/variant', { 'x-variant': 'attacker' })).toMatchObject({ cache: 'HIT', body: 'variant attacker' });
  });

  it('a hit has the stored fields with its Age, for GET and HEAD; conditionals and ranges too', async () => {
    const first = await fetch(`${edgeUrl}/fields`);
    const body = await first.text();
    const hit = await fetch(`${edgeUrl}/fields`);
    expect(hit.headers.get('x-cache-status')).toBe('HIT');
    expect(hit.headers.get('content-type')).toBe('text/plain');
    expect(hit.headers.get('cache-control')).toBe('max-age=600');
    expect(hit.headers.get('age')).toMatch(/^\d+$/);
    expect(hit.headers.get('content-length')).toBe(String(body.length));
    expect(await hit.text()).toBe(body);
    const head = await fetch(`${edgeUrl}/fields`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect(head.headers.get('x-cache-status')).toBe('HIT');
    expect(await head.text()).toBe('');
    const part = await fetch(`${edgeUrl}/fields`, { headers: { range: 'bytes=0-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe(body.slice(0, 5));
    expect(hits.get('/fields')).toBe(1);
    // The access log has each answer's cache status, answered from the head (the hits) or not.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged.filter((line) => line.uri === '/fields').map((line) => line.cache)).toEqual(['MISS', 'HIT', 'HIT', 'HIT']);
  });

  it('PURGE by the token drops the page; the status page counts hits and misses', async () => {
    await get('/plain');
    expect((await get('/plain')).cache).toBe('HIT');
    const refused = await fetch(`${edgeUrl}/plain`, { method: 'PURGE' });
    expect(refused.status).toBe(403);
    const purged = await fetch(`${edgeUrl}/plain`, { method: 'PURGE', headers: { authorization: 'Bearer purge-me' } });
    expect(purged.status).toBe(200);
    expect(await get('/plain')).toMatchObject({ cache: 'MISS', body: 'plain 2' });
    const status = (await (await fetch(`${edgeUrl}/_status?format=json&token=look`)).json()) as {
      caches: { route: string; hitRatio: number; counts: Record<string, number> }[];
    };
    const main = status.caches.find((cache) => cache.route === '/')!;
    expect(main.counts.HIT).toBeGreaterThanOrEqual(200);
    expect(main.counts.MISS).toBeGreaterThanOrEqual(4);
    expect(main.hitRatio).toBeGreaterThan(0.9);
    expect(status.caches.find((cache) => cache.route === '/sie/')!.counts.STALE).toBe(1);
  });
});
