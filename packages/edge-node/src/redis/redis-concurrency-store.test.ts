// The concurrency rule's counts shared through a real redis-server
// (Debian's, started here): leases that expire unless renewed, two edge
// processes holding one limit, and a process killed with its places held.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, within } from '@gatehouse/test-support/sockets';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../_test-helpers.ts';
import { hasRedisServer, type RedisServer, startRedisServer } from './_test-redis-server.ts';
import type { RedisCommands } from './redis-commands.ts';
import { redisConcurrencyStore } from './redis-concurrency-store.ts';

const REDIS = hasRedisServer('redis-concurrency-store.test.ts');

/** The lease time of the edge processes: how long a killed one holds its places. */
const TTL = 3_000;

/** A request whose answer has begun: its status and fields, and its body once it ends. */
interface Open {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Promise<string>;
}

/** Send a request and give back its answer as soon as its head has come, its body still coming. */
function open(port: number, path: string, client: string): Promise<Open> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { 'x-client': client } }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (text += chunk));
      const body = new Promise<string>((done, fail) => {
        res.on('end', () => done(text));
        res.on('error', fail);
      });
      // The answer of a process that is killed never ends: only a test that waits for it cares.
      body.catch(() => {});
      resolve({ status: res.statusCode!, headers: res.headers, body });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `attempt` again until it says yes, for at most `ms`: a place freed by another process is freed when Redis hears of it. */
async function eventually(attempt: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await attempt())) {
    if (Date.now() > until) throw new Error(`${what} within ${ms} ms`);
    await sleep(50);
  }
}

describe.skipIf(!REDIS)('redisConcurrencyStore against redis-server', () => {
  let server: RedisServer;
  let client: RedisClientType;
  const children: ChildProcess[] = [];
  const unique = `${process.pid}-${Date.now()}`;
  const script = fileURLToPath(new URL('./_test-concurrency-limited-edge.ts', import.meta.url));

  /** An edge process of `_test-concurrency-limited-edge.ts`, once it listens: its port. */
  async function startEdge(): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--conditions=@gatehouse/source', script, String(port), server.url, String(TTL)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await within(once(createInterface({ input: child.stdout! }), 'line'), 20_000, 'edge process ready', () => child.kill());
    return { port, child };
  }

  beforeAll(async () => {
    server = await startRedisServer();
    client = createClient({ url: server.url }) as RedisClientType;
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    for (const child of children) child.stdin?.end();
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
    await client?.quit();
    await server?.stop();
  }, 30_000);

  it('gives out max places per key, one back for each release, with leases that expire', async () => {
    const store = redisConcurrencyStore(client, { prefix: `store:${unique}:`, ttl: 60_000 });
    const first = await store.acquire('k', 2);
    const second = await store.acquire('k', 2);
    expect([typeof first, typeof second, await store.acquire('k', 2)]).toEqual(['function', 'function', undefined]);
    expect(await store.acquire('other', 2)).toBeTypeOf('function');
    // The set of leases expires with the last of them: never kept for ever.
    const ttl = await client.pTTL(`store:${unique}:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    first!();
    first!();
    await eventually(async () => (await client.zCard(`store:${unique}:k`)) === 1, 5_000, 'the lease given back');
    const third = await store.acquire('k', 2);
    expect(third).toBeTypeOf('function');
    expect(await store.acquire('k', 2)).toBeUndefined();
    second!();
    third!();
  });

  it('holds one limit across two edge processes: the third request in flight gets 429, and once the others end requests pass again', async () => {
    const [a, b] = [await startEdge(), await startEdge()];
    const client = `one-${unique}`;
    const slow = [await open(a.port, '/slow', client), await open(b.port, '/slow', client)];
    expect(slow.map((answer) => answer.status)).toEqual([200, 200]);
    const refused = [await request(a, '/quick', 'GET', { 'x-client': client }), await request(b, '/quick', 'GET', { 'x-client': client })];
    expect(refused.map((answer) => [answer.status, answer.headers['retry-after']])).toEqual([
      [429, '1'],
      [429, '1'],
    ]);
    // Another client has places of its own.
    expect((await request(a, '/quick', 'GET', { 'x-client': `two-${unique}` })).status).toBe(200);

    expect([(await request(a, '/finish')).body, (await request(b, '/finish')).body]).toEqual(['finished 1', 'finished 1']);
    expect(await Promise.all(slow.map((answer) => answer.body))).toEqual(['started\n', 'started\n']);
    await eventually(async () => (await request(b, '/quick', 'GET', { 'x-client': client })).status === 200, 10_000, 'a request passing again');
    // Both places are back: two held again, the next refused.
    const again = [await open(a.port, '/slow', client)];
    await eventually(
      async () => {
        const answer = await open(b.port, '/slow', client);
        if (answer.status === 200) again.push(answer);
        return answer.status === 200;
      },
      10_000,
      'the second place back',
    );
    expect((await request(a, '/quick', 'GET', { 'x-client': client })).status).toBe(429);
    await request(a, '/finish');
    await request(b, '/finish');
    await Promise.all(again.map((answer) => answer.body));
  }, 60_000);

  it("frees a killed process's places once its lease has expired, while a request in flight keeps renewing its own", async () => {
    const [a, b, doomed] = [await startEdge(), await startEdge(), await startEdge()];
    const client = `three-${unique}`;
    // A's request first: by the time the doomed process's lease has expired, A's first lease would have too.
    const held = await open(a.port, '/slow', client);
    const dying = await open(doomed.port, '/slow', client);
    expect([held.status, dying.status]).toEqual([200, 200]);
    expect((await request(b, '/quick', 'GET', { 'x-client': client })).status).toBe(429);

    const exited = once(doomed.child, 'exit');
    doomed.child.kill('SIGKILL');
    await exited;
    // Nothing gave its place back: still taken.
    expect((await request(b, '/quick', 'GET', { 'x-client': client })).status).toBe(429);

    // Wait for the lease to expire, holding the place once it is free (a held request, so that no short one's lease lingers).
    const mine: Open[] = [];
    await eventually(
      async () => {
        const answer = await open(b.port, '/slow', client);
        if (answer.status === 200) mine.push(answer);
        return answer.status === 200;
      },
      TTL + 10_000,
      "the killed process's place freed",
    );
    // A's request is still counted, its lease renewed past the time it was first taken for.
    expect((await request(b, '/quick', 'GET', { 'x-client': client })).status).toBe(429);
    await request(a, '/finish');
    await request(b, '/finish');
    expect(await Promise.all([held.body, ...mine.map((answer) => answer.body)])).toEqual(['started\n', 'started\n']);
  }, 60_000);
});

describe('redisConcurrencyStore without Redis', () => {
  it('lets the request through when Redis cannot be reached, and says so once', async () => {
    const broken: RedisCommands = { sendCommand: () => Promise.reject(new Error('connection refused')) };
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const store = redisConcurrencyStore(broken);
      const through = [await store.acquire('k', 1), await store.acquire('k', 1), await store.acquire('k', 1)];
      expect(through.map((release) => typeof release)).toEqual(['function', 'function', 'function']);
      for (const release of through) release!();
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
    expect(String((warnings[0] as unknown[])[0])).toContain('letting requests through: connection refused');
  });

  it('lets the request through when Redis does not answer in time', async () => {
    const silent: RedisCommands = { sendCommand: () => new Promise(() => {}) };
    const errors: unknown[] = [];
    const store = redisConcurrencyStore(silent, { timeout: 50, onError: (error) => errors.push(error) });
    expect(await store.acquire('k', 1)).toBeTypeOf('function');
    expect(errors.map((error) => (error as Error).name)).toEqual(['RedisTimeoutError']);
  });

  it('refuses a lease time it cannot renew within', () => {
    const none: RedisCommands = { sendCommand: () => Promise.resolve(0) };
    expect(() => redisConcurrencyStore(none, { ttl: 10 })).toThrow('ttl is whole milliseconds (≥ 100)');
  });
});
