import { describe, expect, it } from 'vitest';
import { MemoryHealthStore } from './memory-health-store.ts';
import { createPool } from './pool.ts';
import type { PoolConfig } from './pool-config.ts';

const NONE: ReadonlySet<string> = new Set();

describe('createPool: configuration', () => {
  it('fills in the defaults', () => {
    const pool = createPool({ servers: ['http://10.0.0.1:8080', 'https://api.test/base/'] });
    expect(pool.name).toBe('upstream');
    expect(pool.balance).toBe('round-robin');
    expect(pool.connectTimeout).toBe(5_000);
    expect(pool.responseTimeout).toBe(60_000);
    expect(pool.allDown).toBe('try');
    expect(pool.retry).toEqual({ errors: true, timeouts: true, statuses: new Set(), tries: 2, timeout: 0 });
    expect(pool.store).toBeInstanceOf(MemoryHealthStore);
    const [first, second] = pool.servers;
    expect(first).toMatchObject({ id: 'http://10.0.0.1:8080', key: 'upstream http://10.0.0.1:8080', origin: 'http://10.0.0.1:8080', host: '10.0.0.1:8080', basePath: '', weight: 1, backup: false, maxFails: 1, failTimeout: 10_000 });
    expect(second).toMatchObject({ id: 'https://api.test/base', origin: 'https://api.test', host: 'api.test', basePath: '/base' });
  });

  it('takes every kind of server and per-server settings', () => {
    const app = { fetch: () => new Response('') };
    const pool = createPool({
      name: 'mixed',
      maxFails: 3,
      failTimeout: 30_000,
      servers: [
        { url: 'http://a.test', weight: 5, maxFails: 0 },
        { binding: 'API', failTimeout: 1_000 },
        { app, name: 'local' },
        { url: 'http://b.test', backup: true },
      ],
    });
    expect(pool.servers.map((server) => [server.id, server.weight, server.maxFails, server.failTimeout, server.backup])).toEqual([
      ['http://a.test', 5, 0, 30_000, false],
      ['binding:API', 1, 3, 1_000, false],
      ['local', 1, 3, 30_000, false],
      ['http://b.test', 1, 3, 30_000, true],
    ]);
    expect(pool.servers[2]!.app).toBe(app);
    expect(pool.retry.tries).toBe(4);
  });

  it.each<[string, PoolConfig, RegExp]>([
    ['no servers', { servers: [] }, /pool "upstream": servers must be a non-empty array/],
    ['a relative URL', { servers: ['10.0.0.1:8080'] }, /servers\[0\]: .*not an absolute URL|only http: and https:/],
    ['another scheme', { servers: ['ftp://x.test'] }, /servers\[0\]: "ftp:\/\/x.test": only http: and https:/],
    ['credentials', { servers: ['http://u:p@x.test'] }, /credentials do not belong/],
    ['a query', { servers: ['http://x.test/?a=1'] }, /no query or fragment/],
    ['a zero weight', { servers: [{ url: 'http://x.test', weight: 0 }] }, /servers\[0\]: weight must be an integer from 1 to 1000, not 0/],
    ['two kinds at once', { servers: [{ url: 'http://x.test', binding: 'X' } as never] }, /exactly one of url, binding or app \(got url and binding\)/],
    ['an App without fetch', { servers: [{ app: {} as never }] }, /app must be an App/],
    ['only backups', { servers: [{ url: 'http://x.test', backup: true }] }, /every server is a backup/],
    ['the same server twice', { servers: ['http://x.test', 'http://x.test/'] }, /"http:\/\/x.test" is listed twice/],
    ['a typo', { servers: ['http://x.test'], maxfails: 2 } as never, /unknown pool setting "maxfails"/],
    ['a typo in a server', { servers: [{ url: 'http://x.test', wieght: 2 } as never] }, /servers\[0\]: unknown server setting "wieght"/],
    ['a negative timeout', { servers: ['http://x.test'], responseTimeout: -1 }, /responseTimeout must be a number of milliseconds ≥ 0, not -1/],
    ['a bad balance', { servers: ['http://x.test'], balance: 'random' as never }, /balance must be/],
    ['a hash without a name', { servers: ['http://x.test'], balance: { hash: 'cookie' } as never }, /hashing by cookie needs the cookie's name/],
    ['a bad retry condition', { servers: ['http://x.test'], retry: { on: ['error', 200] } }, /retry: on: 200 is neither/],
    ['zero tries', { servers: ['http://x.test'], retry: { tries: 0 } }, /retry: tries must be a positive integer, not 0/],
    ['a health check path', { servers: ['http://x.test'], healthCheck: { path: 'healthz', interval: 1, timeout: 1 } }, /healthCheck: path must start with "\/"/],
    ['a health check interval', { servers: ['http://x.test'], healthCheck: { path: '/h', interval: 0, timeout: 1 } }, /healthCheck: interval must be a positive number/],
    ['a name with a space', { name: 'my pool', servers: ['http://x.test'] }, /pool name "my pool" must be/],
  ])('refuses %s with a clear error', (_, config, message) => {
    expect(() => createPool(config)).toThrow(message);
  });
});

describe('Pool.choose', () => {
  const pool = (config: Partial<PoolConfig> = {}) =>
    createPool({ name: 'p', servers: ['http://a.test', 'http://b.test', { url: 'http://z.test', backup: true }], ...config });
  const ids = (chosen: { id: string } | undefined) => chosen?.id.slice(7, 8);

  it('uses backups only when every primary is down', () => {
    const p = pool();
    expect([1, 2, 3, 4].map(() => ids(p.choose(NONE, undefined, undefined)))).toEqual(['a', 'b', 'a', 'b']);
    expect(ids(p.choose(new Set(['p http://a.test']), undefined, undefined))).toBe('b');
    expect(ids(p.choose(new Set(['p http://a.test', 'p http://b.test']), undefined, undefined))).toBe('z');
  });

  it('goes to backups once every primary was tried', () => {
    const p = pool();
    const [a, b] = p.servers;
    expect(ids(p.choose(NONE, [a!, b!], undefined))).toBe('z');
    expect(p.choose(NONE, [...p.servers], undefined)).toBeUndefined();
  });

  it('tries the primaries anyway when every server is down', () => {
    const p = pool();
    const all = new Set(p.servers.map((server) => server.key));
    const first = p.choose(all, undefined, undefined);
    expect(['a', 'b']).toContain(ids(first));
    const second = p.choose(all, [first!], undefined);
    expect(['a', 'b']).toContain(ids(second));
    expect(second).not.toBe(first);
    // Never a backup, never twice.
    expect(p.choose(all, [first!, second!], undefined)).toBeUndefined();
  });

  it("answers nothing when every server is down and allDown is 'fail'", () => {
    const p = pool({ allDown: 'fail' });
    expect(p.choose(new Set(p.servers.map((server) => server.key)), undefined, undefined)).toBeUndefined();
  });

  it('keeps a lone server up whatever fails, like nginx', async () => {
    const p = createPool({ servers: ['http://only.test'] });
    for (let i = 0; i < 5; i++) p.failed(p.servers[0]!, i);
    expect((await p.down(10)).size).toBe(0);
    expect(await p.store.down(10)).toEqual(new Set());
  });

  it('records failures in the store under the pool-scoped key', () => {
    const store = new MemoryHealthStore();
    const p = pool({ store, maxFails: 2 });
    p.failed(p.servers[0]!, 0);
    expect(store.down(0).size).toBe(0);
    p.failed(p.servers[0]!, 1);
    expect([...store.down(1)]).toEqual(['p http://a.test']);
    p.succeeded(p.servers[0]!, 2);
    expect(store.down(2).size).toBe(0);
  });
});
