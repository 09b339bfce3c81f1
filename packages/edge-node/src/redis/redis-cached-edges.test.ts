// Two edge processes (standing for two machines) with one cache in a real
// redis-server: what one fetched, the other serves; what one purges, the
// other no longer has.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, request } from '@gatehouse/test-support/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, type RedisServer, startRedisServer } from './_test-redis-server.ts';

const REDIS = hasRedisServer('redis-cached-edges.test.ts');

describe.skipIf(!REDIS)('edges sharing a cache in redis-server', () => {
  let server: RedisServer;
  let origin: Server;
  const hits = new Map<string, number>();
  const children: ChildProcess[] = [];
  const edges: number[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    origin = createServer((req, res) => {
      const hit = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, hit);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=600' });
      // Bytes of every value: the body must come back from Redis exactly.
      res.end(Buffer.concat([Buffer.from(`${req.url} ${hit} `), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]));
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    const script = fileURLToPath(new URL('./_test-cached-edge.ts', import.meta.url));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['--conditions=@gatehouse/source', script, String(port), server.url, originUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      await once(createInterface({ input: child.stdout! }), 'line');
      edges.push(port);
    }
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.stdin?.end();
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    origin?.closeAllConnections();
    origin?.close();
    await server?.stop();
  }, 30_000);

  // The same Host at both, as behind a load balancer: the key is the URL the client asked for.
  const get = async (port: number, path: string, method = 'GET', headers: Record<string, string> = {}) => {
    const answer = await request({ port }, path, method, { host: 'shop.test', ...headers });
    return { status: answer.status, cache: answer.headers['x-cache-status'], body: Buffer.from(answer.body, 'latin1') };
  };

  it('one edge fetches, the other serves the same bytes from Redis', async () => {
    const first = await get(edges[0]!, '/page');
    expect(first.cache).toBe('MISS');
    // The entry is written off the response path.
    let second = await get(edges[1]!, '/page');
    for (let i = 0; i < 20 && second.cache !== 'HIT'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      second = await get(edges[1]!, '/page');
    }
    expect(second.cache).toBe('HIT');
    expect(second.body.equals(first.body)).toBe(true);
    expect(hits.get('/page')).toBe(1);
  });

  it('a purge through one edge empties the other’s too', async () => {
    await get(edges[0]!, '/blog/a');
    await get(edges[0]!, '/blog/b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await get(edges[1]!, '/blog/a')).cache).toBe('HIT');
    expect((await get(edges[0]!, '/blog/*', 'PURGE', { authorization: 'Bearer purge-me' })).status).toBe(200);
    expect((await get(edges[1]!, '/blog/a')).cache).toBe('MISS');
    expect((await get(edges[1]!, '/blog/b')).cache).toBe('MISS');
  });
});
