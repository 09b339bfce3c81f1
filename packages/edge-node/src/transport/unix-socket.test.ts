// Servers on unix sockets (nginx's `server unix:/run/gunicorn.sock`), reached
// by both Node transports through a real edge, the origin a real node:http
// server listening on a socket file.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '@gatehouse/core';
import { createPool, createProxy, fetchTransport, type TransportError } from '@gatehouse/edge';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { http1Transport } from './http1-transport.ts';
import type { PooledTransport } from './pooled-transport.ts';
import { undiciTransport } from './undici-transport.ts';

const folder = mkdtempSync(join(tmpdir(), 'gatehouse-unix-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const servers: Server[] = [];
const transports: PooledTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const ctx: Context = { waitUntil() {}, passThroughOnException() {}, clientAddress: '203.0.113.9', runtime: 'test', props: {} };

let sockets = 0;
/** An origin on a new socket file: it says what it got, and counts its connections. */
async function socketOrigin(name: string): Promise<{ path: string; connections: () => number }> {
  const path = join(folder, `${name}-${sockets++}.sock`);
  let connections = 0;
  const server = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => res.end(`${name} ${req.method} ${req.url} host=${req.headers.host} body=${length}`));
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, connections: () => connections };
}

// http1Transport hands a connection back as soon as the response ends; undici may open another meanwhile.
describe.each([
  ['http1Transport', http1Transport, 1],
  ['undiciTransport', undiciTransport, 3],
] as const)('%s', (_, make, mostConnections) => {
  const transportOf = (): PooledTransport => {
    const transport = make();
    transports.push(transport);
    return transport;
  };

  it('reaches a server on a unix socket, with the URL\'s Host, and keeps the connection', async () => {
    const origin = await socketOrigin('gunicorn');
    const pool = createPool({ name: 'app', servers: [{ url: 'http://app_server', socket: origin.path }] });
    const edge = createProxy(pool, { transport: transportOf() });
    const first = await edge.fetch(new Request('http://example.com/accounts/?next=/'), {}, ctx);
    expect(await first.text()).toBe('gunicorn GET /accounts/?next=/ host=app_server body=0');
    const second = await edge.fetch(new Request('http://example.com/orders', { method: 'POST', body: 'qty=2' }), {}, ctx);
    expect(await second.text()).toBe('gunicorn POST /orders host=app_server body=5');
    const third = await edge.fetch(new Request('http://example.com/'), {}, ctx);
    expect(await third.text()).toBe('gunicorn GET / host=app_server body=0');
    expect(origin.connections()).toBeLessThanOrEqual(mostConnections);
  });

  it('keeps two sockets with the same URL apart, and fails over from a socket nothing listens on', async () => {
    const a = await socketOrigin('a');
    const b = await socketOrigin('b');
    const missing = join(folder, 'nobody-here.sock');
    const failures: string[] = [];
    const pool = createPool({
      name: 'app',
      servers: [
        { url: 'http://localhost', socket: missing },
        { url: 'http://localhost', socket: a.path },
        { url: 'http://localhost', socket: b.path },
      ],
    });
    const edge = createProxy(pool, { transport: transportOf(), onError: (error, server) => failures.push(`${server}: ${(error as TransportError).kind}`) });
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) bodies.push(await (await edge.fetch(new Request('http://example.com/'), {}, ctx)).text());
    expect(new Set(bodies.map((body) => body.split(' ')[0]))).toEqual(new Set(['a', 'b']));
    expect(failures).toEqual([`unix:${missing}: connect`]);
  });
});

it('a pool with a unix socket refuses a transport that cannot reach one, when the proxy is made', () => {
  const pool = createPool({ name: 'app', servers: [{ url: 'http://localhost', socket: '/run/gunicorn.sock' }] });
  expect(() => createProxy(pool, { transport: fetchTransport })).toThrow(
    'pool "app": unix:/run/gunicorn.sock is a unix socket, which this transport cannot reach (on Node, http1Transport() and undiciTransport() can; Workers cannot)',
  );
  expect(() => createPool({ name: 'app', servers: [{ url: 'http://localhost', socket: 'run/gunicorn.sock' }] })).toThrow(
    'socket must be the absolute path of a unix socket, not "run/gunicorn.sock"',
  );
});
