import { describe, expect, it, vi } from 'vitest';
import { createPool } from '../upstream/pool.ts';
import type { PoolConfig } from '../upstream/pool-config.ts';
import { ANSWER_HEAD, type HeadAnswer, type RequestHead } from '@gatehouse/core';
import { TransportError, type TransportFailure, type UpstreamRequest } from '../upstream/transport.ts';
import { context, manualClock, quiet, scripted } from './_test-upstream.ts';
import { createProxy, proxy } from './proxy.ts';
import type { ProxyOptions } from './proxy-options.ts';

const A = 'http://a.test:8001';
const B = 'http://b.test:8002';
const C = 'http://c.test:8003';

function poolOf(config: Partial<PoolConfig> = {}) {
  return createPool({ name: 'api', servers: [A, B, C], ...config });
}

/** Fails every exchange with `server` with `kind`, answers 200 naming the server otherwise. */
function failing(failures: Record<string, TransportFailure>) {
  return scripted((request) => {
    const origin = new URL(request.url).origin;
    const kind = failures[origin];
    if (kind !== undefined) throw new TransportError(kind, `${kind} at ${origin}`);
    return new Response(`from ${origin}`);
  });
}

// These are the streamed proxy's tests (`buffering: false`); what buffering changes is in buffering.test.ts.
const send = (request: Request, pool: ReturnType<typeof poolOf>, options: ProxyOptions, ctx = context()) =>
  proxy(request, pool, { onError: quiet, buffering: false, ...options }, {}, ctx);

describe('the request sent upstream', () => {
  it('strips hop-by-hop fields, Expect and Proxy-*, keeps the rest', async () => {
    const { transport, seen } = scripted(() => new Response('ok'));
    const request = new Request('http://edge.test/a', {
      headers: {
        connection: 'keep-alive, X-Secret-Hop',
        'x-secret-hop': 'gone',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        trailer: 'x-checksum',
        upgrade: 'h2c',
        expect: '100-continue',
        'proxy-authorization': 'Basic c2VjcmV0',
        'proxy-connection': 'keep-alive',
        proxy: 'http://evil.test', // httpoxy
        'x-keep': 'kept',
        accept: 'text/html',
        cookie: 'a=1; b=2',
      },
    });
    await send(request, poolOf(), { transport });
    const sent = [...seen[0]!.headers.keys()];
    expect(sent.sort()).toEqual(['accept', 'cookie', 'host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-keep']);
    expect(seen[0]!.headers.get('x-keep')).toBe('kept');
    expect(seen[0]!.headers.get('cookie')).toBe('a=1; b=2');
  });

  it('appends the client to X-Forwarded-For and sets X-Forwarded-Proto and -Host', async () => {
    const { transport, seen } = scripted(() => new Response('ok'));
    const pool = poolOf();
    await send(new Request('https://shop.example:8443/'), pool, { transport });
    await send(
      new Request('http://shop.example/', {
        headers: { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoofed.test' },
      }),
      pool,
      { transport },
    );
    await send(new Request('http://shop.example/', { headers: { 'x-forwarded-for': '198.51.100.1' } }), pool, { transport }, context({ clientAddress: undefined }));
    expect(seen.map(({ headers }) => [headers.get('x-forwarded-for'), headers.get('x-forwarded-proto'), headers.get('x-forwarded-host')])).toEqual([
      ['203.0.113.7', 'https', 'shop.example:8443'],
      ['198.51.100.1, 203.0.113.7', 'http', 'shop.example'],
      ['198.51.100.1', 'http', 'shop.example'],
    ]);
  });

  it("sends the upstream's Host by default, the client's or a fixed one on request", async () => {
    const { transport, seen } = scripted(() => new Response('ok'));
    const pool = createPool({ servers: [A] });
    const request = () => new Request('http://shop.example/x');
    await send(request(), pool, { transport });
    await send(request(), pool, { transport, host: 'client' });
    await send(request(), pool, { transport, host: 'internal.shop' });
    expect(seen.map(({ headers }) => headers.get('host'))).toEqual(['a.test:8001', 'shop.example', 'internal.shop']);
  });

  it.each<[string, ProxyOptions, string, string]>([
    ['keeps path and query by default', {}, '/users/7?sort=asc&x=%20', '/users/7?sort=asc&x=%20'],
    ['strips a prefix', { stripPrefix: '/api' }, '/api/users?page=2', '/users?page=2'],
    ['strips a prefix given with its slash', { stripPrefix: '/api/' }, '/api/users', '/users'],
    ['strips a prefix down to /', { stripPrefix: '/api' }, '/api?x=1', '/?x=1'],
    ['strips a prefix only on a segment boundary', { stripPrefix: '/api' }, '/apix/users', '/apix/users'],
    ['replaces a prefix like proxy_pass with a URI', { rewrite: { prefix: '/old/', replacement: '/new/' } }, '/old/a/b?q', '/new/a/b?q'],
    ['leaves paths without the prefix alone', { rewrite: { prefix: '/old/', replacement: '/new/' } }, '/other', '/other'],
    ['replaces with / without doubling the slash', { rewrite: { prefix: '/static', replacement: '/' } }, '/static/app.js', '/app.js'],
    ['rewrites with a function, query kept', { rewrite: (path) => path.toUpperCase() }, '/a/b?q=x', '/A/B?q=x'],
    ['rewrites with a function that sets the query', { rewrite: (path) => `/v2${path}?from=edge` }, '/a?q=x', '/v2/a?from=edge'],
    ['keeps percent-encoding as it came', { stripPrefix: '/files' }, '/files/a%2Fb%20c', '/a%2Fb%20c'],
  ])('%s', async (_, options, path, expected) => {
    const { transport, seen } = scripted(() => new Response('ok'));
    await send(new Request(`http://edge.test${path}`), createPool({ servers: [A] }), { transport, ...options });
    expect(seen[0]!.request.url).toBe(`${A}${expected}`);
  });

  it("prefixes the server URL's own path", async () => {
    const { transport, seen } = scripted(() => new Response('ok'));
    await send(new Request('http://edge.test/api/x?y=1'), createPool({ servers: ['http://a.test/prod/'] }), { transport, stripPrefix: '/api' });
    expect(seen[0]!.request.url).toBe('http://a.test/prod/x?y=1');
  });

  it('refuses stripPrefix with rewrite, and paths without a slash', () => {
    const pool = createPool({ servers: [A] });
    expect(() => createProxy(pool, { stripPrefix: '/a', rewrite: { prefix: '/b', replacement: '/c' } })).toThrow(/not both/);
    expect(() => createProxy(pool, { stripPrefix: 'api' })).toThrow(/stripPrefix must be a path starting with "\/"/);
    expect(() => createProxy(pool, { rewrite: { prefix: '/a', replacement: 'b' } })).toThrow(/two paths starting with "\/"/);
  });

  it('streams the body: the transport reads it while the client is still sending', async () => {
    let client!: ReadableStreamDefaultController<Uint8Array>;
    const upload = new ReadableStream<Uint8Array>({ start: (controller) => void (client = controller) });
    const echoed: string[] = [];
    const { transport } = scripted(async (request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      echoed.push(new TextDecoder().decode(first.value));
      // Answer before the rest of the body exists, then echo the rest as it comes.
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await reader.read();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
        }),
      );
    });
    const request = new Request('http://edge.test/upload', { method: 'POST', body: upload, duplex: 'half' } as RequestInit);
    client.enqueue(new TextEncoder().encode('first'));
    const response = await send(request, createPool({ servers: [A] }), { transport });
    expect(echoed).toEqual(['first']);
    const reader = response.body!.getReader();
    client.enqueue(new TextEncoder().encode('second'));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('second');
    client.close();
    expect((await reader.read()).done).toBe(true);
  });

  it('sends no body with GET and HEAD', async () => {
    const { transport, seen } = scripted(() => new Response(null));
    await send(new Request('http://edge.test/', { method: 'HEAD' }), createPool({ servers: [A] }), { transport });
    expect(seen[0]!.request).toMatchObject({ method: 'HEAD', body: null });
  });

  it('does not announce a body it does not send: a GET loses its Content-Length', async () => {
    const { transport, seen } = scripted(() => new Response(null));
    const pool = createPool({ servers: [A] });
    await send(new Request('http://edge.test/', { headers: { 'content-length': '2' } }), pool, { transport });
    expect(seen[0]!.headers.has('content-length')).toBe(false);
    await send(new Request('http://edge.test/', { method: 'POST', headers: { 'content-length': '0' } }), pool, { transport });
    expect(seen[1]!.headers.get('content-length')).toBe('0');
  });
});

describe('the response returned', () => {
  it('is the upstream response itself when it carries no hop-by-hop field', async () => {
    const upstream = new Response('body', { status: 201, headers: { 'x-a': '1' } });
    const { transport } = scripted(() => upstream);
    expect(await send(new Request('http://edge.test/'), createPool({ servers: [A] }), { transport })).toBe(upstream);
  });

  it('loses its hop-by-hop fields and keeps every Set-Cookie, status and streamed body', async () => {
    const headers = new Headers([
      ['connection', 'keep-alive, x-hop'],
      ['x-hop', 'gone'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['proxy-authenticate', 'Basic'],
      ['trailer', 'x-sum'],
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
      ['set-cookie', 'c=3'],
      ['x-end-to-end', 'kept'],
    ]);
    const body = new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('streamed')) });
    const { transport } = scripted(() => new Response(body, { status: 418, statusText: 'Teapot', headers }));
    const response = await send(new Request('http://edge.test/'), createPool({ servers: [A] }), { transport });
    expect(response.status).toBe(418);
    expect(response.statusText).toBe('Teapot');
    expect([...response.headers.keys()].filter((name) => name !== 'set-cookie')).toEqual(['x-end-to-end']);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'c=3']);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('streamed');
  });

  it('passes redirects through untouched', async () => {
    const { transport } = scripted(() => new Response(null, { status: 302, headers: { location: 'http://a.test:8001/login' } }));
    const response = await send(new Request('http://edge.test/'), createPool({ servers: [A] }), { transport });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://a.test:8001/login');
  });

  it('forwards a WebSocket upgrade and returns the 101 as the very object the upstream gave', async () => {
    // What Workers' fetch returns for an upgrade: a 101 that carries the socket.
    const upgraded = { status: 101, statusText: 'Switching Protocols', headers: new Headers({ upgrade: 'websocket', connection: 'Upgrade' }), body: null, webSocket: {} } as unknown as Response;
    const { transport, seen } = scripted(() => upgraded);
    const request = new Request('http://edge.test/ws', {
      headers: { upgrade: 'websocket', connection: 'keep-alive, Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
    });
    const response = await send(request, createPool({ servers: [A] }), { transport });
    expect(response).toBe(upgraded);
    const sent = seen[0]!.headers;
    expect([sent.get('upgrade'), sent.get('connection'), sent.get('sec-websocket-key')]).toEqual(['websocket', 'upgrade', 'dGhlIHNhbXBsZSBub25jZQ==']);
  });
});

describe('retries and failures', () => {
  it('retries an idempotent request on the next server after an error, and takes the failed one out', async () => {
    const { transport, seen } = failing({ [A]: 'reset' });
    const pool = poolOf();
    const first = await send(new Request('http://edge.test/'), pool, { transport });
    expect(await first.text()).toBe(`from ${B}`);
    expect(seen.map(({ server }) => server)).toEqual([A, B]);
    // A is down for failTimeout: the next requests go to B and C only.
    seen.length = 0;
    for (let i = 0; i < 4; i++) await (await send(new Request('http://edge.test/'), pool, { transport })).text();
    expect(seen.map(({ server }) => server).sort()).toEqual([B, B, C, C]);
  });

  it.each<[string, TransportFailure, boolean]>([
    ['retries a POST whose connection was refused', 'connect', true],
    ['retries a POST whose connection timed out', 'connect-timeout', true],
    ['does not retry a POST that was sent and reset', 'reset', false],
    ['does not retry a POST that was sent and timed out', 'timeout', false],
  ])('%s', async (_, kind, retried) => {
    const { transport, seen } = failing({ [A]: kind });
    const response = await send(new Request('http://edge.test/', { method: 'POST' }), poolOf(), { transport });
    expect(seen.map(({ server }) => server)).toEqual(retried ? [A, B] : [A]);
    expect(response.status).toBe(retried ? 200 : kind === 'timeout' ? 504 : 502);
  });

  it('retries a PATCH with a body only while its body is untouched', async () => {
    const pool = poolOf();
    const body = () => new Request('http://edge.test/', { method: 'PATCH', body: 'x'.repeat(10) });
    // Refused before anything was sent: the body is whole, B gets it.
    const refused = scripted(async (request) => {
      if (request.url.startsWith(A)) throw new TransportError('connect', 'refused');
      return new Response(await new Response(request.body).text());
    });
    expect(await (await send(body(), pool, { transport: refused.transport })).text()).toBe('xxxxxxxxxx');
    // Read, then failed: even a failure the transport calls 'connect' cannot resend what was read.
    const readThenFailed = scripted(async (request) => {
      await request.body!.getReader().read();
      throw new TransportError('connect', 'refused', { bodySent: true });
    });
    expect((await send(body(), poolOf(), { transport: readThenFailed.transport })).status).toBe(502);
    expect(readThenFailed.seen).toHaveLength(1);
  });

  it('does not retry an idempotent request whose streamed body was read', async () => {
    const { transport, seen } = scripted(async (request) => {
      await request.body!.getReader().read(); // took the body, then lost the connection
      throw new TransportError('reset', 'reset');
    });
    const response = await send(new Request('http://edge.test/', { method: 'PUT', body: 'data' }), poolOf(), { transport });
    expect(response.status).toBe(502);
    expect(seen).toHaveLength(1);
  });

  it('retries a PUT with a body that was never read', async () => {
    const { transport, seen } = scripted(async (request) => {
      if (request.url.startsWith(A)) throw new TransportError('reset', 'reset before reading');
      return new Response(await new Response(request.body).text());
    });
    const response = await send(new Request('http://edge.test/', { method: 'PUT', body: 'data' }), poolOf(), { transport });
    expect(await response.text()).toBe('data');
    expect(seen).toHaveLength(2);
  });

  it('retries on listed statuses for idempotent requests, and answers the last status when all fail', async () => {
    const { transport, seen } = scripted((request) => new Response(`busy ${new URL(request.url).origin}`, { status: 503 }));
    const pool = poolOf({ retry: { on: ['error', 'timeout', 503] }, maxFails: 10 });
    const response = await send(new Request('http://edge.test/'), pool, { transport });
    expect(seen).toHaveLength(3);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe(`busy ${seen[2]!.server}`);
  });

  it('never retries a POST on a status', async () => {
    const { transport, seen } = scripted(() => new Response('busy', { status: 503 }));
    const response = await send(new Request('http://edge.test/', { method: 'POST', body: 'x' }), poolOf({ retry: { on: [503] } }), { transport });
    expect(response.status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it('does not retry statuses that are not listed, nor count them as failures', async () => {
    const { transport, seen } = scripted(() => new Response('oops', { status: 500 }));
    const pool = poolOf({ retry: { on: ['error', 503] } });
    expect((await send(new Request('http://edge.test/'), pool, { transport })).status).toBe(500);
    expect(seen).toHaveLength(1);
    expect(pool.store.down(pool.clock()) as ReadonlySet<string>).toEqual(new Set());
  });

  it('counts a listed status against the server', async () => {
    const { transport } = scripted((request) => new Response('', { status: request.url.startsWith(A) ? 502 : 200 }));
    const pool = poolOf({ retry: { on: ['error', 502] } });
    expect((await send(new Request('http://edge.test/'), pool, { transport })).status).toBe(200);
    expect(pool.store.down(pool.clock()) as ReadonlySet<string>).toEqual(new Set([`api ${A}`]));
  });

  it('does not retry timeouts unless listed', async () => {
    const { transport, seen } = failing({ [A]: 'timeout' });
    const response = await send(new Request('http://edge.test/'), poolOf({ retry: { on: ['error'] } }), { transport });
    expect(response.status).toBe(504);
    expect(seen).toHaveLength(1);
  });

  it('stops after retry.tries attempts', async () => {
    const { transport, seen } = failing({ [A]: 'connect', [B]: 'connect', [C]: 'connect' });
    const response = await send(new Request('http://edge.test/'), poolOf({ retry: { tries: 2 } }), { transport });
    expect(seen).toHaveLength(2);
    expect(response.status).toBe(502);
  });

  it('starts no attempt once retry.timeout has passed', async () => {
    const clock = manualClock();
    const { transport, seen } = scripted((request) => {
      clock.advance(600);
      throw new TransportError('timeout', `slow ${request.url}`);
    });
    const response = await send(new Request('http://edge.test/'), poolOf({ clock: clock.now, retry: { timeout: 1_000 } }), { transport });
    expect(seen).toHaveLength(2);
    expect(response.status).toBe(504);
  });

  it('answers 502 naming the pool, never a server, when every server fails', async () => {
    const { transport, seen } = failing({ [A]: 'connect', [B]: 'reset', [C]: 'connect' });
    const response = await send(new Request('http://edge.test/'), poolOf(), { transport });
    expect(seen).toHaveLength(3);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await response.text();
    expect(text).toBe('Bad Gateway: upstream pool "api" could not be reached\n');
    expect(text).not.toMatch(/test|800/);
  });

  it('answers 504 when the last failure was a timeout', async () => {
    const { transport } = failing({ [A]: 'connect', [B]: 'connect', [C]: 'timeout' });
    const response = await send(new Request('http://edge.test/'), poolOf({ balance: 'round-robin' }), { transport });
    expect(response.status).toBe(504);
    expect(await response.text()).toBe('Gateway Timeout: upstream pool "api" did not answer in time\n');
  });

  it('reports every failure to onError with the server', async () => {
    const { transport } = failing({ [A]: 'connect' });
    const reported: [string, string, string][] = [];
    await proxy(new Request('http://edge.test/'), poolOf(), { transport, onError: (error, server, pool) => reported.push([(error as TransportError).kind, server, pool]) });
    expect(reported).toEqual([['connect', A, 'api']]);
  });

  it('logs every failure with console.warn when no onError is given, naming pool, server and kind', async () => {
    const { transport } = failing({ [A]: 'connect' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await proxy(new Request('http://edge.test/'), poolOf(), { transport });
      expect(warn.mock.calls).toEqual([[`[gatehouse] upstream pool "api", server ${A}: connect: connect at ${A}`]]);
    } finally {
      warn.mockRestore();
    }
  });

  it('lets errors that are not transport failures through, without blaming the server', async () => {
    const { transport } = scripted(() => {
      throw new RangeError('a bug');
    });
    const pool = poolOf();
    await expect(send(new Request('http://edge.test/'), pool, { transport })).rejects.toThrow('a bug');
    expect(pool.store.down(pool.clock()) as ReadonlySet<string>).toEqual(new Set());
  });
});

describe('passive health', () => {
  it('skips a server for failTimeout after maxFails failures, then tries it again', async () => {
    const clock = manualClock();
    let aIsBroken = true;
    const { transport, seen } = scripted((request) => {
      if (request.url.startsWith(A) && aIsBroken) throw new TransportError('connect', 'refused');
      return new Response('ok');
    });
    const pool = createPool({ name: 'api', servers: [A, B], maxFails: 2, failTimeout: 10_000, clock: clock.now });
    const get = async () => void (await send(new Request('http://edge.test/'), pool, { transport })).text();
    await get(); // A fails once (1 of 2), B answers
    await get(); // B
    await get(); // A fails again: down, B answers
    expect(seen.map(({ server }) => server)).toEqual([A, B, B, A, B]);
    seen.length = 0;
    clock.advance(9_999);
    for (let i = 0; i < 4; i++) await get();
    expect(seen.every(({ server }) => server === B)).toBe(true);
    // failTimeout passed: A is tried again and, fixed, takes its share back.
    aIsBroken = false;
    clock.advance(2);
    seen.length = 0;
    for (let i = 0; i < 4; i++) await get();
    expect(seen.map(({ server }) => server).sort()).toEqual([A, A, B, B]);
  });

  it('takes a server back on trial out again at its first failure', async () => {
    const clock = manualClock();
    const { transport, seen } = failing({ [A]: 'connect' });
    const pool = createPool({ name: 'api', servers: [A, B], maxFails: 3, failTimeout: 1_000, clock: clock.now });
    const get = async () => void (await send(new Request('http://edge.test/'), pool, { transport })).text();
    for (let i = 0; i < 6; i++) await get(); // three failures of A, A down
    clock.advance(1_001);
    seen.length = 0;
    for (let i = 0; i < 4; i++) await get();
    // A tried once, failed, and is down again at once.
    expect(seen.filter(({ server }) => server === A)).toHaveLength(1);
  });

  it('uses backups only while every primary is down, and fails back', async () => {
    const clock = manualClock();
    const broken = new Set([A, B]);
    const { transport, seen } = scripted((request) => {
      const origin = new URL(request.url).origin;
      if (broken.has(origin)) throw new TransportError('connect', 'refused');
      return new Response(origin);
    });
    const pool = createPool({ name: 'api', servers: [A, B, { url: C, backup: true }], failTimeout: 5_000, clock: clock.now });
    const get = async () => (await send(new Request('http://edge.test/'), pool, { transport })).text();
    expect(await get()).toBe(C);
    expect(seen.map(({ server }) => server)).toEqual([A, B, C]);
    seen.length = 0;
    expect([await get(), await get()]).toEqual([C, C]);
    expect(seen.map(({ server }) => server)).toEqual([C, C]);
    broken.clear();
    clock.advance(5_001);
    expect(new Set([await get(), await get()])).toEqual(new Set([A, B]));
  });

  it('tries the primaries anyway when every server is down', async () => {
    const clock = manualClock();
    let broken = true;
    const { transport, seen } = scripted(() => {
      if (broken) throw new TransportError('connect', 'refused');
      return new Response('back');
    });
    const pool = createPool({ name: 'api', servers: [A, B], clock: clock.now });
    const get = () => send(new Request('http://edge.test/'), pool, { transport });
    expect((await get()).status).toBe(502); // both fail and are down now
    broken = false;
    seen.length = 0;
    // Still within failTimeout, but nothing else is left: try them anyway.
    expect(await (await get()).text()).toBe('back');
    expect(seen).toHaveLength(1);
  });

  it("answers 502 at once when every server is down and allDown is 'fail'", async () => {
    const clock = manualClock();
    const { transport, seen } = failing({ [A]: 'connect', [B]: 'connect' });
    const pool = createPool({ name: 'api', servers: [A, B], clock: clock.now, allDown: 'fail' });
    await send(new Request('http://edge.test/'), pool, { transport });
    seen.length = 0;
    const response = await send(new Request('http://edge.test/'), pool, { transport });
    expect(seen).toHaveLength(0);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('Bad Gateway: every server of upstream pool "api" is down\n');
  });
});

describe('balancing through the proxy', () => {
  const echo = () => scripted((request) => new Response(new URL(request.url).origin));

  it('sticks to a server by cookie', async () => {
    const { transport } = echo();
    const pool = poolOf({ balance: { hash: 'cookie', name: 'sessionid' } });
    const get = async (cookie: string) =>
      (await send(new Request('http://edge.test/', { headers: { cookie } }), pool, { transport })).text();
    const servers = new Set<string>();
    for (let user = 0; user < 30; user++) {
      const first = await get(`theme=dark; sessionid=user-${user}`);
      servers.add(first);
      for (let again = 0; again < 3; again++) expect(await get(`sessionid=user-${user}; theme=light`)).toBe(first);
    }
    expect(servers.size).toBe(3);
  });

  it('sticks to a server by header and by client address', async () => {
    const { transport } = echo();
    const byHeader = poolOf({ balance: { hash: 'header', name: 'X-Tenant' } });
    const byAddress = poolOf({ balance: { hash: 'client-address' } });
    const tenant = (name: string) => new Request('http://edge.test/', { headers: { 'x-tenant': name } });
    const first = await (await send(tenant('acme'), byHeader, { transport })).text();
    for (let i = 0; i < 5; i++) expect(await (await send(tenant('acme'), byHeader, { transport })).text()).toBe(first);
    const from = async (address: string) => (await send(new Request('http://edge.test/'), byAddress, { transport }, context({ clientAddress: address }))).text();
    const home = await from('198.51.100.23');
    for (let i = 0; i < 5; i++) expect(await from('198.51.100.23')).toBe(home);
    const spread = new Set<string>();
    for (let i = 0; i < 40; i++) spread.add(await from(`198.51.100.${i}`));
    expect(spread.size).toBe(3);
  });

  it('moves a sticky key to another server while its own is down, and back after', async () => {
    const clock = manualClock();
    const broken = new Set<string>();
    const { transport } = scripted((request) => {
      const origin = new URL(request.url).origin;
      if (broken.has(origin)) throw new TransportError('connect', 'refused');
      return new Response(origin);
    });
    const pool = poolOf({ balance: { hash: 'cookie', name: 's' }, clock: clock.now, failTimeout: 1_000 });
    const get = async () => (await send(new Request('http://edge.test/', { headers: { cookie: 's=alice' } }), pool, { transport })).text();
    const home = await get();
    broken.add(home);
    const away = await get();
    expect(away).not.toBe(home);
    expect(await get()).toBe(away);
    broken.clear();
    clock.advance(1_001);
    expect(await get()).toBe(home);
  });

  it('sends to the server with the fewest requests in flight, counting until the body is done', async () => {
    const bodies = new Map<string, ReadableStreamDefaultController<Uint8Array>>();
    const { transport } = scripted((request) => {
      const origin = new URL(request.url).origin;
      return new Response(new ReadableStream({ start: (controller) => void bodies.set(origin, controller) }));
    });
    const pool = poolOf({ balance: 'least-in-flight' });
    const open = async () => send(new Request('http://edge.test/'), pool, { transport });
    const first = await open();
    const second = await open();
    const third = await open();
    expect(pool.servers.map((server) => pool.inFlight(server))).toEqual([1, 1, 1]);
    // Finish B's body: B is the least loaded.
    bodies.get(B)!.close();
    await second.text();
    expect(pool.servers.map((server) => pool.inFlight(server))).toEqual([1, 0, 1]);
    await open();
    expect(pool.servers.map((server) => pool.inFlight(server))).toEqual([1, 1, 1]);
    // A client that leaves ends its request too.
    await first.body!.cancel();
    expect(pool.inFlight(pool.servers[0]!)).toBe(0);
    void third;
  });
});

describe('the client leaving', () => {
  it('aborts the upstream exchange and counts nothing against the server', async () => {
    const client = new AbortController();
    let upstreamSignal: AbortSignal | undefined;
    const { transport } = scripted((_request, _seen, options) => {
      upstreamSignal = options.signal;
      return new Promise((_, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason)));
    });
    const pool = poolOf();
    const answer = send(new Request('http://edge.test/', { signal: client.signal }), pool, { transport });
    await new Promise((resolve) => setTimeout(resolve, 10));
    client.abort();
    const response = await answer;
    expect(upstreamSignal!.aborted).toBe(true);
    expect(response.status).toBe(499);
    expect(pool.store.down(pool.clock()) as ReadonlySet<string>).toEqual(new Set());
  });
});

describe('service bindings and in-process Apps', () => {
  it('calls an App with a genuine Request: the client URL, rewritten path, forwarded fields, body', async () => {
    let seen: Request | undefined;
    const app = {
      async fetch(request: Request) {
        seen = request;
        return new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
      },
    };
    const pool = createPool({ name: 'local', servers: [{ app }] });
    const response = await send(new Request('https://shop.example/api/cart?x=1', { method: 'POST', body: 'item=7' }), pool, { stripPrefix: '/api' });
    expect(await response.text()).toBe('POST /cart item=7');
    expect(seen).toBeInstanceOf(Request);
    expect(seen!.url).toBe('https://shop.example/cart?x=1');
    expect([seen!.headers.get('host'), seen!.headers.get('x-forwarded-for'), seen!.headers.get('x-forwarded-proto')]).toEqual(['shop.example', '203.0.113.7', 'https']);
  });

  it('takes an App that throws for a broken server, and one that throws a TransportError at its word', async () => {
    const calls: string[] = [];
    const pool = createPool({
      name: 'local',
      servers: [
        { app: { fetch: () => { calls.push('refusing'); throw new TransportError('connect', 'refused'); } } },
        { app: { fetch: () => { calls.push('crashing'); throw new Error('crash'); } } },
        { app: { fetch: () => { calls.push('fine'); return new Response('fine'); } } },
      ],
    });
    // A POST goes on after 'connect' (nothing sent) but not after a crash (it may have been handled).
    const post = await send(new Request('http://edge.test/', { method: 'POST' }), pool, {});
    expect(post.status).toBe(502);
    expect(calls).toEqual(['refusing', 'crashing']);
  });

  it('times out an App that does not answer', async () => {
    const pool = createPool({ name: 'local', responseTimeout: 20, servers: [{ app: { fetch: () => new Promise<Response>(() => {}) } }] });
    const response = await send(new Request('http://edge.test/'), pool, {});
    expect(response.status).toBe(504);
  });

  it("calls a service binding from env, and fails over when env lacks it", async () => {
    const requests: Request[] = [];
    const env = { API: { fetch: async (request: Request) => (requests.push(request), new Response('from binding')) } };
    const pool = createPool({ name: 'bound', servers: [{ binding: 'MISSING' }, { binding: 'API' }] });
    const response = await proxy(new Request('https://shop.example/x'), pool, { onError: quiet }, env, context());
    expect(await response.text()).toBe('from binding');
    expect(requests[0]!.url).toBe('https://shop.example/x');
  });
});

describe('createProxy', () => {
  it('is an App', async () => {
    const { transport } = scripted(() => new Response('ok'));
    const app = createProxy(createPool({ servers: [A] }), { transport });
    expect(await (await app.fetch(new Request('http://edge.test/'), {}, context())).text()).toBe('ok');
  });

  it('does not wait for a store that answers later, but hands its writes to waitUntil', async () => {
    const pending: Promise<unknown>[] = [];
    const writes: string[] = [];
    const store = {
      down: async () => new Set<string>(),
      fail: async (server: string) => void writes.push(`fail ${server}`),
      succeed: async (server: string) => void writes.push(`succeed ${server}`),
      markDown: async () => {},
    };
    const { transport } = failing({ [A]: 'connect' });
    const app = createProxy(createPool({ name: 'api', servers: [A, B], store }), { transport, onError: quiet });
    expect(await (await app.fetch(new Request('http://edge.test/'), {}, context({ clientAddress: undefined, pending }))).text()).toBe(`from ${B}`);
    await Promise.all(pending);
    expect(pending).toHaveLength(2);
    expect(writes).toEqual([`fail api ${A}`, `succeed api ${B}`]);
  });
});

describe('answers from the request head', () => {
  /** A transport that answers both ways, as http1Transport does. */
  function answering(make: (request: UpstreamRequest) => HeadAnswer | TransportError) {
    const answers: UpstreamRequest[] = [];
    const responses: UpstreamRequest[] = [];
    const transport = Object.assign(
      async (request: UpstreamRequest): Promise<Response> => {
        responses.push(request);
        const made = make(request);
        if (made instanceof TransportError) throw made;
        const headers = new Headers();
        for (let i = 0; i < made.headers.length; i += 2) headers.append(made.headers[i]!, made.headers[i + 1]!);
        return new Response(made.body as BodyInit | null, { status: made.status, headers });
      },
      {
        stripsHopByHop: true as const,
        answer: async (request: UpstreamRequest): Promise<HeadAnswer> => {
          answers.push(request);
          const made = make(request);
          if (made instanceof TransportError) throw made;
          return made;
        },
      },
    );
    return { transport, answers, responses };
  }

  const head = (url: string, fields: Record<string, string> = {}, method = 'GET'): RequestHead => ({
    method,
    url,
    headers: new Headers(fields),
    signal: new AbortController().signal,
  });
  const ok = (): HeadAnswer => ({ status: 200, headers: ['content-type', 'text/plain'], body: new TextEncoder().encode('ok') });

  it('sends the request the Request path sends, and returns the transport answer as it is', async () => {
    const answer = ok();
    const { transport, answers, responses } = answering(() => answer);
    const app = createProxy(createPool({ servers: [A] }), { transport, stripPrefix: '/api' });
    const fields = { cookie: 'a=1', connection: 'x-drop', 'x-drop': '1', 'x-forwarded-for': '198.51.100.1' };
    expect(await app[ANSWER_HEAD](head('http://edge.test/api/x?q=1', fields), {}, context())).toBe(answer);
    await app.fetch(new Request('http://edge.test/api/x?q=1', { headers: fields }), {}, context());
    expect(answers).toHaveLength(1);
    expect(responses).toHaveLength(1);
    const sorted = (request: UpstreamRequest) => ({ ...request, headers: pairs(request.headers).sort() });
    expect(sorted(answers[0]!)).toEqual(sorted(responses[0]!));
    expect(answers[0]!.url).toBe(`${A}/x?q=1`);
  });

  it('fails over, and answers 502 and 504 as HeadAnswers', async () => {
    const { transport } = answering((request) => (request.url.startsWith(A) ? new TransportError('connect', 'refused') : ok()));
    const pool = createPool({ servers: [A, B], retry: { on: ['error'], tries: 2 } });
    const app = createProxy(pool, { transport, onError: quiet });
    expect((await app[ANSWER_HEAD](head('http://edge.test/'), {}, context()))!.status).toBe(200);

    const down = answering(() => new TransportError('connect', 'refused'));
    const bad = await createProxy(createPool({ name: 'api', servers: [A] }), { transport: down.transport, onError: quiet })[ANSWER_HEAD](
      head('http://edge.test/'),
      {},
      context(),
    );
    expect(bad).toMatchObject({ status: 502, headers: ['content-type', 'text/plain; charset=utf-8', 'cache-control', 'no-store'] });
    expect(new TextDecoder().decode(bad!.body as Uint8Array)).toBe('Bad Gateway: upstream pool "api" could not be reached\n');
    const slow = answering(() => new TransportError('timeout', 'slow'));
    const late = await createProxy(createPool({ name: 'api', servers: [A] }), { transport: slow.transport, onError: quiet })[ANSWER_HEAD](
      head('http://edge.test/'),
      {},
      context(),
    );
    expect(late!.status).toBe(504);
  });

  it('counts a streamed answer in flight until its body is done', async () => {
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (source = controller) });
    const { transport } = answering(() => ({ status: 200, headers: [], body }));
    const pool = createPool({ servers: [A, B], balance: 'least-in-flight' });
    const answer = await createProxy(pool, { transport })[ANSWER_HEAD](head('http://edge.test/'), {}, context());
    expect(pool.servers.map((server) => pool.inFlight(server))).toEqual([1, 0]);
    const reader = (answer!.body as ReadableStream<Uint8Array>).getReader();
    source.enqueue(new Uint8Array([1]));
    source.close();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    expect((await reader.read()).done).toBe(true);
    expect(pool.servers.map((server) => pool.inFlight(server))).toEqual([0, 0]);
  });

  it('is declined when the transport cannot answer so, a rewrite function wants the Request, or a server is an App', async () => {
    const { transport: onlyResponses } = scripted(() => new Response('ok'));
    const { transport } = answering(ok);
    // Answers go out as they are: a transport that may leave hop-by-hop fields in is not asked for them.
    const unclean = Object.assign((request: UpstreamRequest) => transport(request), { answer: transport.answer });
    const cases = [
      createProxy(createPool({ servers: [A] }), { transport: onlyResponses }),
      createProxy(createPool({ servers: [A] }), { transport: unclean }),
      createProxy(createPool({ servers: [A] }), { transport, rewrite: (path) => path }),
      createProxy(createPool({ servers: [A, { app: { fetch: () => new Response('in process') } }] }), { transport }),
    ];
    for (const app of cases) expect(app[ANSWER_HEAD](head('http://edge.test/'), {}, context())).toBeUndefined();
  });
});

function pairs(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}: ${flat[i + 1]}`);
  return out;
}
