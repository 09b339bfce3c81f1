import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createPool, createProxy, fetchTransport, type PoolConfig, type Transport } from '@gatehouse/edge';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeServer } from '@gatehouse/node';
import { closeAll, deferred, sleep, start, within } from '../_test-helpers.ts';
import { load } from '@gatehouse/test-support/load';
import { toTransportError } from './_transport-errors.ts';
import { http1Transport } from './http1-transport.ts';
import { undiciTransport, type UndiciTransport } from './undici-transport.ts';

/** A real origin on 127.0.0.1 that can be killed (its sockets destroyed) and brought back on its port. */
interface Origin {
  readonly url: string;
  readonly port: number;
  /** Requests it received. */
  requests: number;
  kill(): Promise<void>;
  revive(): Promise<void>;
}

const origins = new Set<Origin>();
const transports: { close(): Promise<void> }[] = [];

async function origin(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<Origin> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = async (onPort: number): Promise<number> => {
    server = createServer((req, res) => {
      self.requests++;
      handler(req, res);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(onPort, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const bound = await listen(port);
  const self: Origin = {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests: 0,
    async kill() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async revive() {
      await listen(bound);
    },
  };
  origins.add(self);
  return self;
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  await closeAll();
  await Promise.all([...origins].map((each) => each.kill().catch(() => {})));
  origins.clear();
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

const quiet = (): void => {};

/** How the two transports differ, by design (see their documentation). */
interface Traits {
  /** fetch decodes compressed bodies (and the transport drops the encoding fields). */
  readonly decodes: boolean;
  /** The body stays unread until connected, so a refused POST with a body goes to the next server. */
  readonly readsBodyOnceConnected: boolean;
}

const kinds: [string, () => Transport, Traits][] = [
  // Node 24's fetch (undici 7) reads a request body before it connects; Node 26's waits for the connection.
  ['fetchTransport', () => fetchTransport, { decodes: true, readsBodyOnceConnected: Number(process.versions.node.split('.')[0]) >= 26 }],
  [
    'undiciTransport',
    () => {
      const transport = undiciTransport();
      transports.push(transport);
      return transport;
    },
    { decodes: false, readsBodyOnceConnected: true },
  ],
  [
    'http1Transport',
    () => {
      const transport = http1Transport();
      transports.push(transport);
      return transport;
    },
    { decodes: false, readsBodyOnceConnected: true },
  ],
];

/** The two pooled transports of this package, for the tests of their shared contract. */
const pooled: [string, () => UndiciTransport | ReturnType<typeof http1Transport>][] = [
  ['undiciTransport', undiciTransport],
  ['http1Transport', http1Transport],
];

describe.each(kinds)('the edge proxy on Node with %s', (_kind, makeTransport, traits) => {
  async function edge(config: PoolConfig, options: Parameters<typeof createProxy>[1] = {}): Promise<NodeServer> {
    return start(createProxy(createPool(config), { transport: makeTransport(), onError: quiet, ...options }));
  }

  it('streams both ways: the origin answers the first chunk before the client sent the last one', async () => {
    const upstream = await origin((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.on('data', (chunk: Buffer) => res.write(`echo:${chunk}`));
      req.on('end', () => res.end('|done'));
    });
    // Streamed both ways, as the route asks: by default the edge reads the upload first.
    const proxy = await edge({ servers: [upstream.url] }, { buffering: false });
    const body = await new Promise<string>((resolve, reject) => {
      const client = httpRequest(`${proxy.url}upload`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
      client.on('error', reject);
      const timer = setTimeout(() => reject(new Error('the first echo never came back while the upload was open')), 3_000);
      client.on('response', (res) => {
        let seen = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          seen += chunk;
          if (seen === 'echo:one') {
            clearTimeout(timer);
            // Only now does the client send the rest.
            client.end('two');
          }
        });
        res.on('end', () => resolve(seen));
      });
      client.write('one');
      client.flushHeaders();
    });
    expect(body).toBe('echo:oneecho:two|done');
  });

  it('passes every Set-Cookie on its own, and status and headers as they are', async () => {
    const cookies = ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly', 'c=3'];
    const upstream = await origin((req, res) => {
      res.writeHead(201, 'Made', { 'set-cookie': cookies, 'x-host-seen': String(req.headers.host), 'x-forwarded-seen': `${req.headers['x-forwarded-for']} ${req.headers['x-forwarded-proto']} ${req.headers['x-forwarded-host']}`, 'x-hop-seen': String(req.headers['x-hop']) });
      res.end('made');
    });
    const proxy = await edge({ servers: [upstream.url] });
    const raw = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(`${proxy.url}x`, { headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret' } }, resolve).on('error', reject).end();
    });
    raw.resume();
    expect(raw.statusCode).toBe(201);
    expect(raw.headers['set-cookie']).toEqual(cookies);
    expect(raw.headers['x-host-seen']).toBe(`127.0.0.1:${upstream.port}`);
    expect(raw.headers['x-forwarded-seen']).toBe(`127.0.0.1 http 127.0.0.1:${proxy.port}`);
    expect(raw.headers['x-hop-seen']).toBe('undefined');
    const response = await fetch(proxy.url);
    expect(response.headers.getSetCookie()).toEqual(cookies);
    expect(await response.text()).toBe('made');
  });

  it('passes redirects to the client untouched', async () => {
    const upstream = await origin((_req, res) => {
      res.writeHead(301, { location: '/elsewhere' });
      res.end();
    });
    const proxy = await edge({ servers: [upstream.url] });
    const response = await fetch(proxy.url, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/elsewhere');
  });

  it('keeps a compressed answer consistent', async () => {
    const text = 'compressed '.repeat(100);
    const upstream = await origin((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
      res.end(gzipSync(text));
    });
    const proxy = await edge({ servers: [upstream.url] });
    const raw = await new Promise<{ headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      httpRequest(proxy.url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    // undici passes it through as the origin sent it; fetch decodes it, and the headers then say so.
    expect(raw.headers['content-encoding']).toBe(traits.decodes ? undefined : 'gzip');
    expect((traits.decodes ? raw.body : gunzipSync(raw.body)).toString()).toBe(text);
  });

  it('fails over from a dead origin to the next, and answers 502 when all are dead', async () => {
    const alive = await origin((_req, res) => res.end('alive'));
    const dead = await closedPort();
    const proxy = await edge({ name: 'app', servers: [dead, alive.url] });
    for (let i = 0; i < 3; i++) {
      const response = await fetch(proxy.url);
      expect(await response.text()).toBe('alive');
    }
    const allDead = await edge({ name: 'app', servers: [dead, await closedPort()] });
    const response = await fetch(allDead.url);
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toBe('Bad Gateway: upstream pool "app" could not be reached\n');
    expect(text).not.toContain('127.0.0.1');
  });

  it('answers 504 within the timeout when the origin is slow', async () => {
    // The origin never answers: only a timer can end the exchange. The pool's
    // other timers are a minute long (connectTimeout here, responseTimeout's
    // default), far past the wait below, so a 504 within it is the 300 ms one's.
    const upstream = await origin(() => {});
    const proxy = await edge({ name: 'slow', servers: [upstream.url], responseTimeout: 300, connectTimeout: 60_000 });
    const client = new AbortController();
    const started = performance.now();
    const response = await within(fetch(proxy.url, { signal: client.signal }), 10_000, 'no answer from the proxy (the origin holds its answer for ever)', () => client.abort());
    const elapsed = performance.now() - started;
    expect(response.status).toBe(504);
    expect(await response.text()).toBe('Gateway Timeout: upstream pool "slow" did not answer in time\n');
    expect(elapsed).toBeGreaterThanOrEqual(250);
  }, 20_000);

  it('loses no GET when one of three origins is killed under load, and fails back once it returns', async () => {
    const three = await Promise.all(['a', 'b', 'c'].map((name) => origin((_req, res) => res.end(name))));
    const [, b] = three;
    const proxy = await edge({ name: 'app', servers: three.map((each) => each.url), failTimeout: 1_000 });
    const stop = deferred();
    const [a, , c] = three;
    // Counted, not timed: a busy machine only makes the load slower.
    const until = async (check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check() && Date.now() < deadline) await sleep(20);
    };
    const running = load(proxy.url, 8, stop.promise, 20_000);
    await until(() => b!.requests > 10);
    const killedAfter = b!.requests;
    await b!.kill();
    const othersAtKill = a!.requests + c!.requests;
    await until(() => a!.requests + c!.requests > othersAtKill + 100);
    stop.resolve();
    const result = await running;
    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual({});
    expect(a!.requests + c!.requests).toBeGreaterThan(othersAtKill + 100);
    expect(killedAfter).toBeGreaterThan(10);
    expect(result.bodies.get('b')).toBeGreaterThan(0);

    // Back on its port: once failTimeout has passed it gets its share again.
    await b!.revive();
    await sleep(1_100);
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) seen.push(await (await fetch(proxy.url)).text());
    expect(seen.filter((body) => body === 'b').length).toBeGreaterThanOrEqual(3);
  }, 40_000);

  it('does not retry a POST whose body was sent, but does one that never connected', async () => {
    // undici's fetch reads a body before it connects: under fetchTransport a POST
    // with a streamed body is never retried (documented); one without is. (A body
    // the edge read ahead, its default, is sent again whole: buffering.test.ts.)
    const bodies: string[] = [];
    const dropsAfterReading = await origin((req) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        req.socket.destroy();
      });
    });
    const second = await origin((_req, res) => res.end('second'));
    const proxy = await edge({ name: 'app', servers: [dropsAfterReading.url, second.url] }, { buffering: false });
    const response = await fetch(proxy.url, { method: 'POST', body: 'order=42' });
    expect(response.status).toBe(502);
    expect(bodies).toEqual(['order=42']);
    expect(second.requests).toBe(0);

    const dead = await closedPort();
    const withoutBody = await edge({ name: 'app', servers: [dead, second.url] }, { buffering: false });
    expect(await (await fetch(withoutBody.url, { method: 'POST' })).text()).toBe('second');
    expect(second.requests).toBe(1);
    const withBody = await edge({ name: 'app', servers: [dead, second.url] }, { buffering: false });
    const retried = await fetch(withBody.url, { method: 'POST', body: 'order=43' });
    expect(retried.status).toBe(traits.readsBodyOnceConnected ? 200 : 502);
    expect(second.requests).toBe(traits.readsBodyOnceConnected ? 2 : 1);
  });

  it('cancels the upstream request when the client leaves, before and after the response head', async () => {
    const closed: string[] = [];
    const gotRequest = deferred();
    const upstreamClosed = deferred();
    const upstream = await origin((req, res) => {
      res.on('close', () => {
        closed.push(req.url!);
        upstreamClosed.resolve();
      });
      if (req.url === '/head') gotRequest.resolve();
      else res.writeHead(200).write('first chunk');
    });
    const proxy = await edge({ servers: [upstream.url] });

    const before = new AbortController();
    const waiting = fetch(`${proxy.url}head`, { signal: before.signal }).catch(() => 'aborted');
    await gotRequest.promise;
    before.abort();
    expect(await waiting).toBe('aborted');
    await Promise.race([upstreamClosed.promise, sleep(2_000)]);
    expect(closed).toEqual(['/head']);

    const streaming = await fetch(`${proxy.url}body`);
    const reader = streaming.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first chunk');
    await reader.cancel();
    for (const started = performance.now(); closed.length < 2 && performance.now() - started < 2_000; ) await sleep(20);
    expect(closed).toEqual(['/head', '/body']);
  });
});

describe('undiciTransport’s errors', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout'],
    ['ECONNREFUSED', 'connect'],
    ['ENOTFOUND', 'connect'],
    ['EHOSTUNREACH', 'connect'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['EPIPE', 'reset'],
  ])('maps undici’s %s to %s', (code, kind) => {
    const mapped = toTransportError(Object.assign(new Error(code), { code }), true);
    expect(mapped).toMatchObject({ name: 'TransportError', kind, bodySent: true });
    expect(mapped.cause).toMatchObject({ code });
  });

  it('passes programming errors on as they are', () => {
    const bug = Object.assign(new Error('invalid header key'), { code: 'UND_ERR_INVALID_ARG' });
    expect(toTransportError(bug, false)).toBe(bug);
  });
});

/**
 * Resolves once the origin is held back: waiting for 'drain', with nothing
 * more written, over five looks 50 ms apart (each after a turn of the event
 * loop, in which a transport that reads would have let it write more).
 * Rejects as soon as the origin has written everything, or after 10 s.
 */
async function stalled(writer: { written: number; waitingForDrain: boolean; ended: boolean }): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = -1;
  let still = 0;
  while (Date.now() < deadline) {
    if (writer.ended) throw new Error(`the origin wrote all ${writer.written} bytes while nobody read: the body was drained into memory`);
    still = writer.waitingForDrain && writer.written === last ? still + 1 : 0;
    if (still === 5) return;
    last = writer.written;
    await sleep(50);
  }
  throw new Error(`the origin was not held back within 10 s (${writer.written} bytes written)`);
}

describe.each(pooled)('%s', (_name, makeTransport) => {
  it('times the response head with responseTimeout, apart from connecting', async () => {
    const transport = makeTransport();
    transports.push(transport);
    // It never answers: the exchange ends only by a timer. The connect timer is a minute
    // long, far past the wait below, so a timeout within it is responseTimeout's
    // (which undici's timers round up to about a second).
    const slow = await origin(() => {});
    const client = new AbortController();
    const failure = await within(
      transport(
        { method: 'GET', url: `${slow.url}/`, headers: ['host', 'x'], body: null },
        { connectTimeout: 60_000, responseTimeout: 100, clientBodyTimeout: 0, signal: client.signal },
      ).catch((error: unknown) => error),
      10_000,
      'no timeout of the response head (the origin never answers)',
      () => client.abort(),
    );
    expect(failure).toMatchObject({ name: 'TransportError', kind: 'timeout', bodySent: false });
  }, 20_000);

  it('reports a refused connection as connect, leaving the body unread', async () => {
    const transport = makeTransport();
    transports.push(transport);
    const body = new Blob(['payload']).stream();
    const failure = await transport(
      { method: 'POST', url: `${await closedPort()}/`, headers: ['host', 'x'], body },
      { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TransportError', kind: 'connect', bodySent: false });
    expect(body.locked).toBe(false);
  });

  it('says the body was sent when the connection broke after it', async () => {
    const upstream = await origin((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const transport = makeTransport();
    transports.push(transport);
    const failure = await transport(
      { method: 'POST', url: `${upstream.url}/`, headers: ['host', 'x'], body: new Blob(['payload']).stream() },
      { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TransportError', kind: 'reset', bodySent: true });
  });

  it('pauses the upstream while the response body is not read', async () => {
    const total = 32 * 1024 * 1024;
    const writer = { written: 0, waitingForDrain: false, ended: false };
    const upstream = await origin((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 120);
      const more = (): void => {
        writer.waitingForDrain = false;
        while (writer.written < total) {
          writer.written += chunk.byteLength;
          if (!res.write(chunk)) {
            writer.waitingForDrain = true;
            res.once('drain', more);
            return;
          }
        }
        res.end();
        writer.ended = true;
      };
      more();
    });
    const transport = makeTransport();
    transports.push(transport);
    const response = await transport({ method: 'GET', url: `${upstream.url}/`, headers: ['host', 'x'], body: null }, { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined });
    await stalled(writer);
    // Socket buffers hold a few MiB at most: the origin is held back, not drained into memory.
    expect(writer.written).toBeLessThan(total / 2);
    let received = 0;
    for await (const chunk of response.body!) received += chunk.byteLength;
    expect(received).toBe(total);
  });

  it('keeps connections alive between requests', async () => {
    const ports = new Set<number>();
    const upstream = await origin((req, res) => {
      ports.add(req.socket.remotePort!);
      res.end('ok');
    });
    const transport = makeTransport();
    transports.push(transport);
    for (let i = 0; i < 5; i++) {
      const response = await transport({ method: 'GET', url: `${upstream.url}/`, headers: ['host', 'x'], body: null }, { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined });
      // Hop-by-hop fields stay behind (Node's server sends Connection and Keep-Alive).
      expect([response.headers.get('connection'), response.headers.get('keep-alive'), response.headers.get('content-length')]).toEqual([null, null, '2']);
      expect(await response.text()).toBe('ok');
    }
    // undici's pool may open a second connection for back-to-back requests, never one per request.
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('sends a WebSocket handshake as an upgrade, and an answer other than 101 back as the Response it is', async () => {
    const seen: (string | undefined)[][] = [];
    const upstream = await origin((req, res) => {
      seen.push([req.headers.connection, req.headers.upgrade]);
      res.writeHead(404).end('no');
    });
    const transport = makeTransport();
    transports.push(transport);
    const options = { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined };
    const headers = ['host', 'x', 'connection', 'upgrade', 'upgrade', 'websocket'];
    const response = await transport({ method: 'GET', url: `${upstream.url}/`, headers, body: null }, options);
    expect([response.status, await response.text()]).toEqual([404, 'no']);
    expect(seen).toEqual([['upgrade', 'websocket']]);

    // Only a GET is a WebSocket handshake: anything else is refused with a plain error, never blamed on the server.
    const failure = await transport({ method: 'POST', url: `${upstream.url}/`, headers, body: null }, options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).not.toBe('TransportError');
    expect((failure as Error).message).toMatch(/WebSocket handshake/);
  });
});
