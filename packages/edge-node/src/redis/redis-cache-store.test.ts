// The cache store against a real redis-server (Debian's, started here):
// the contract every store keeps, two edges sharing one cache, and a
// Redis that went away.
import type { CacheEntry } from '@gatehouse/edge';
import { cacheStoreContract } from '@gatehouse/test-support/cache-store-contract';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, type RedisServer, startRedisServer } from './_test-redis-server.ts';
import { redisCacheStore } from './redis-cache-store.ts';
import type { RedisCommands } from './redis-commands.ts';

const REDIS = hasRedisServer('redis-cache-store.test.ts');

const entry = (text: string): CacheEntry => ({
  head: { status: 200, headers: [['content-type', 'text/plain']], requestTime: 1, responseTime: 2 },
  body: new TextEncoder().encode(text),
});
const text = (got: CacheEntry | undefined): string | undefined => (got === undefined ? undefined : new TextDecoder().decode(got.body));

describe.skipIf(!REDIS)('redisCacheStore against redis-server', () => {
  let server: RedisServer;
  // Two clients: two edge machines sharing one Redis.
  let one: RedisClientType;
  let two: RedisClientType;
  const unique = `${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    server = await startRedisServer();
    one = createClient({ url: server.url }) as RedisClientType;
    two = createClient({ url: server.url }) as RedisClientType;
    await Promise.all([one.connect(), two.connect()]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([one?.quit(), two?.quit()]);
    await server?.stop();
  }, 30_000);

  describe('the store contract', () => {
    cacheStoreContract(() => redisCacheStore(one, { prefix: `test:${unique}:` }));
  });

  it('keeps an entry as one hash that expires, under its prefix', async () => {
    const store = redisCacheStore(one, { prefix: `layout:${unique}:` });
    await store.put('k', entry('body'), 60_000);
    expect(await one.hGetAll(`layout:${unique}:k`)).toEqual({ head: JSON.stringify(entry('body').head), body: 'body' });
    const ttl = await one.pTTL(`layout:${unique}:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('is shared: what one edge puts the other gets, and a purge by one is gone for both', async () => {
    const prefix = `shared:${unique}:`;
    const first = redisCacheStore(one, { prefix });
    const second = redisCacheStore(two, { prefix });
    await first.put('https://site.test/blog/1', entry('post one'), 60_000);
    await second.put('https://site.test/blog/2', entry('post two'), 60_000);
    await second.put('https://site.test/shop/1', entry('shop'), 60_000);
    expect(text(await second.get('https://site.test/blog/1'))).toBe('post one');
    expect(text(await first.get('https://site.test/blog/2'))).toBe('post two');

    await first.deletePrefix('https://site.test/blog/');
    expect(await second.get('https://site.test/blog/1')).toBeUndefined();
    expect(await second.get('https://site.test/blog/2')).toBeUndefined();
    expect(text(await second.get('https://site.test/shop/1'))).toBe('shop');

    await second.delete('https://site.test/shop/1');
    expect(await first.get('https://site.test/shop/1')).toBeUndefined();
  });

  it('purges past one SCAN batch, and only under its own prefix', async () => {
    const store = redisCacheStore(one, { prefix: `many:${unique}:` });
    const other = redisCacheStore(one, { prefix: `many:${unique}:other:` });
    await Promise.all(Array.from({ length: 2_500 }, (_, i) => store.put(`page/${i}`, entry(String(i)), 60_000)));
    await other.put('page/1', entry('other'), 60_000);
    await store.put('pages', entry('kept'), 60_000);
    await store.deletePrefix('page/');
    expect(await one.keys(`many:${unique}:page/*`)).toEqual([]);
    expect(text(await store.get('pages'))).toBe('kept');
    expect(text(await other.get('page/1'))).toBe('other');
  });

  it('drops what a key held when told to keep an entry for no time', async () => {
    const store = redisCacheStore(one, { prefix: `none:${unique}:` });
    await store.put('k', entry('one'), 60_000);
    await store.put('k', entry('two'), 0);
    expect(await store.get('k')).toBeUndefined();
  });

  it('answers a miss and gives writes up when Redis has stopped, reporting it', async () => {
    const gone = await startRedisServer();
    const client = createClient({ url: gone.url, socket: { reconnectStrategy: 100 } }) as RedisClientType;
    client.on('error', () => {});
    await client.connect();
    const errors: unknown[] = [];
    const store = redisCacheStore(client, { prefix: `gone:${unique}:`, timeout: 300, onError: (error) => errors.push(error) });
    await store.put('k', entry('kept'), 60_000);
    expect(text(await store.get('k'))).toBe('kept');

    await gone.stop();
    expect(await store.get('k')).toBeUndefined();
    await expect(store.put('k', entry('new'), 60_000)).resolves.toBeUndefined();
    await expect(store.delete('k')).resolves.toBeUndefined();
    await expect(store.deletePrefix('')).resolves.toBeUndefined();
    expect(errors).toHaveLength(4);
    client.destroy();
  }, 30_000);
});

describe('redisCacheStore without an answer', () => {
  it('gives up on a command that is never answered: a miss', async () => {
    const silent: RedisCommands = { sendCommand: () => new Promise(() => {}) };
    const errors: unknown[] = [];
    const store = redisCacheStore(silent, { timeout: 50, onError: (error) => errors.push(error) });
    expect(await store.get('k')).toBeUndefined();
    await store.put('k', entry('x'), 1_000);
    expect(errors.map((error) => (error as Error).name)).toEqual(['RedisTimeoutError', 'RedisTimeoutError']);
  });

  it('reports at most once a minute by default', async () => {
    const broken: RedisCommands = { sendCommand: () => Promise.reject(new Error('connection refused')) };
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const store = redisCacheStore(broken);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('b')).toBeUndefined();
      await store.put('c', entry('c'), 1_000);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
    expect(String((warnings[0] as unknown[])[0])).toContain('connection refused');
  });

  it('reads an entry that is not one as a miss', async () => {
    const odd: RedisCommands = { sendCommand: () => Promise.resolve([Buffer.from('"not an object"'), Buffer.from('')]) };
    expect(await redisCacheStore(odd, { onError: () => {} }).get('k')).toBeUndefined();
  });
});
