// Rate limits shared through a real redis-server (Debian's, started here):
// the token bucket against Redis's own clock, and two edge processes that
// hold one limit between them.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '@gatehouse/test-support/sockets';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../_test-helpers.ts';
import { hasRedisServer, type RedisServer, startRedisServer } from './_test-redis-server.ts';
import { redisRateLimitStore } from './redis-rate-limit-store.ts';

const REDIS = hasRedisServer('redis-rate-limit-store.test.ts');

describe.skipIf(!REDIS)('redisRateLimitStore against redis-server', () => {
  let server: RedisServer;
  let url = '';
  const children: ChildProcess[] = [];
  let client: RedisClientType;

  beforeAll(async () => {
    server = await startRedisServer();
    url = server.url;
    client = createClient({ url }) as RedisClientType;
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    for (const child of children) child.stdin?.end();
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await client?.quit();
    await server?.stop();
  }, 30_000);

  it('is a token bucket: burst + 1 at once, then refused with the seconds to wait', async () => {
    const store = redisRateLimitStore(client);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.take('bucket-a', 0.01, 2));
    expect(decisions).toEqual([
      { allowed: true, retryAfter: 0 },
      { allowed: true, retryAfter: 0 },
      { allowed: true, retryAfter: 0 },
      { allowed: false, retryAfter: 100 },
    ]);
    expect(await store.take('bucket-b', 0.01, 2)).toEqual({ allowed: true, retryAfter: 0 });
    // The bucket expires once it would be full again: never kept forever.
    expect(await client.pTTL('gatehouse:ratelimit:bucket-a')).toBeGreaterThan(0);
  });

  it('holds one limit across two edge processes', async () => {
    const script = fileURLToPath(new URL('./_test-rate-limited-edge.ts', import.meta.url));
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const child = spawn(process.execPath, ['--conditions=@gatehouse/source', script, String(port), url], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      await once(createInterface({ input: child.stdout! }), 'line');
    }
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await request({ port: ports[i % 2]! }, '/')).status);
    // Five for the bucket (burst 4 + 1), whichever process they reached; the rest refused.
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await request({ port: ports[0]! }, '/');
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '100']);
  }, 60_000);

  it('lets requests through when Redis cannot be reached, and says so', async () => {
    const broken = { eval: () => Promise.reject(new Error('connection refused')) };
    const warnings: unknown[] = [];
    const store = redisRateLimitStore(broken, { onError: (error) => warnings.push(error) });
    expect(await store.take('k', 1, 0)).toEqual({ allowed: true, retryAfter: 0 });
    expect(warnings).toHaveLength(1);
  });

  it('lets requests through when Redis does not answer in time (node-redis queues commands while it reconnects)', async () => {
    const silent = { eval: () => new Promise(() => {}) };
    const warnings: unknown[] = [];
    const store = redisRateLimitStore(silent, { timeout: 50, onError: (error) => warnings.push(error) });
    expect(await store.take('k', 1, 0)).toEqual({ allowed: true, retryAfter: 0 });
    expect(warnings.map((error) => (error as Error).name)).toEqual(['RedisTimeoutError']);
  });
});
