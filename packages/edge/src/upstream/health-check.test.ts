import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPool, startHealthChecks } from './health-check.ts';
import { createPool } from './pool.ts';
import { TransportError, type Transport } from './transport.ts';

const A = 'http://a.test:8001';
const B = 'http://b.test:8002';
const C = 'http://c.test:8003';

afterEach(() => {
  vi.useRealTimers();
});

describe('checkPool', () => {
  it('probes every server and marks each down or up', async () => {
    let now = 1_000;
    const probes: string[] = [];
    const transport: Transport = async (request) => {
      probes.push(`${request.method} ${request.url} ${request.headers[1]}`);
      if (request.url.startsWith(B)) return new Response('sick', { status: 503 });
      if (request.url.startsWith(C)) throw new TransportError('connect', 'refused');
      return new Response('ok');
    };
    const pool = createPool({ name: 'api', servers: [A, B, C], healthCheck: { path: '/healthz', interval: 5_000, timeout: 500 }, clock: () => now });
    const reports = await checkPool(pool, { transport });
    expect(probes.sort()).toEqual([`GET ${A}/healthz a.test:8001`, `GET ${B}/healthz b.test:8002`, `GET ${C}/healthz c.test:8003`]);
    expect(reports).toEqual([
      { server: A, up: true, status: 200, error: undefined },
      { server: B, up: false, status: 503, error: undefined },
      { server: C, up: false, status: undefined, error: 'refused' },
    ]);
    expect(pool.store.down(now)).toEqual(new Set([`api ${B}`, `api ${C}`]));
    // Down until a later probe passes, or twice the interval without one.
    now += 9_999;
    expect(pool.store.down(now)).toEqual(new Set([`api ${B}`, `api ${C}`]));
    now += 2;
    expect(pool.store.down(now)).toEqual(new Set());
  });

  it('marks a server up again as soon as a probe passes, forgetting passive failures', async () => {
    let healthy = false;
    const transport: Transport = async () => new Response(null, { status: healthy ? 204 : 500 });
    const pool = createPool({ name: 'api', servers: [A, B], healthCheck: { path: '/h', interval: 60_000, timeout: 500 } });
    await checkPool(pool, { transport });
    expect((pool.store.down(Date.now()) as ReadonlySet<string>).size).toBe(2);
    healthy = true;
    await checkPool(pool, { transport });
    expect((pool.store.down(Date.now()) as ReadonlySet<string>).size).toBe(0);
  });

  it('uses expectStatus when given', async () => {
    const transport: Transport = async () => new Response('', { status: 302 });
    const pool = createPool({ name: 'api', servers: [A], healthCheck: { path: '/h', interval: 1_000, timeout: 100, expectStatus: [200, 204] } });
    expect((await checkPool(pool, { transport }))[0]!.up).toBe(false);
  });

  it('gives up on a probe past the timeout: a server that never answers is down, by the timeout, not by a fake', async () => {
    // An in-process App that takes the probe and never answers: the timeout is the exchange's own timer.
    const silent = { fetch: () => new Promise<Response>(() => {}) };
    const pool = createPool({ servers: [{ app: silent }], healthCheck: { path: '/h', interval: 1_000, timeout: 50 } });
    const [report] = await checkPool(pool);
    expect(report).toMatchObject({ up: false, status: undefined, error: 'no response head within 50 ms' });
    expect(pool.store.down(pool.clock()) as ReadonlySet<string>).toEqual(new Set([pool.servers[0]!.key]));
  });

  it('hands the probe timeout to the transport as its connect and response timeouts', async () => {
    const seen: number[] = [];
    const transport: Transport = async (_request, options) => {
      seen.push(options.connectTimeout, options.responseTimeout);
      throw new TransportError('timeout', 'no answer in 50 ms');
    };
    const pool = createPool({ servers: [A], healthCheck: { path: '/h', interval: 1_000, timeout: 50 } });
    expect(await checkPool(pool, { transport })).toEqual([{ server: A, up: false, status: undefined, error: 'no answer in 50 ms' }]);
    expect(seen).toEqual([50, 50]);
  });

  it('probes in-process Apps too', async () => {
    const pool = createPool({
      servers: [{ app: { fetch: (request: Request) => new Response('', { status: new URL(request.url).pathname === '/h' ? 200 : 404 }) } }],
      healthCheck: { path: '/h', interval: 1_000, timeout: 50 },
    });
    expect((await checkPool(pool))[0]!.up).toBe(true);
  });

  it('refuses a pool without healthCheck', async () => {
    await expect(checkPool(createPool({ servers: [A] }))).rejects.toThrow('pool "upstream" has no healthCheck');
  });
});

describe('startHealthChecks', () => {
  it('checks at once, then every interval, until stopped', async () => {
    vi.useFakeTimers();
    let probes = 0;
    const transport: Transport = async () => (probes++, new Response('ok'));
    const pool = createPool({ servers: [A], healthCheck: { path: '/h', interval: 1_000, timeout: 100 } });
    const reports: number[] = [];
    const stop = startHealthChecks(pool, { transport, onReport: (list) => reports.push(list.length) });
    await vi.advanceTimersByTimeAsync(0);
    expect(probes).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(probes).toBe(4);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toBe(4);
    expect(reports).toEqual([1, 1, 1, 1]);
  });
});
