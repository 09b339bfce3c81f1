// The edge's route rules on Node over real sockets: the client's address as
// the socket gives it (or as a trusted proxy reports it), and body limits in
// front of a real origin process, whose server is never counted as failed
// for what the client did wrong.
import { createServer, type Server } from 'node:http';
import { addressMatcher } from '@gatehouse/edge';
import { afterEach, describe, expect, it } from 'vitest';
import { defineEdge, type NodeEdgeApp } from './define-edge.ts';
import { closeAll, rawExchange, request, start } from './_test-helpers.ts';

const origins: Server[] = [];
const edges: NodeEdgeApp[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(edges.splice(0).map((edge) => edge.close()));
  for (const server of origins.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real origin that reads whole bodies and says how much it got; `seen` lists what reached it. */
async function origin(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${length}`);
      res.end(`got ${length}`);
    });
    req.on('error', () => seen.push(`${req.method} ${req.url} aborted`));
  });
  origins.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

describe('access', () => {
  const edgeFor = (access: readonly string[]): NodeEdgeApp => {
    const edge = defineEdge({ routes: { '/': { respond: 'in', access } } });
    edges.push(edge);
    return edge;
  };

  it('decides on the address of the socket', async () => {
    expect((await request(await start(edgeFor(['allow 127.0.0.0/8', 'deny all'])), '/')).status).toBe(200);
    expect((await request(await start(edgeFor(['deny 127.0.0.1', 'allow all'])), '/')).status).toBe(403);
  });

  it('believes X-Forwarded-For only from a trusted proxy: a spoofed one from any other peer is ignored', async () => {
    const edge = edgeFor(['allow 10.0.0.0/8', 'deny all']);
    const behindProxy = await start(edge, { trustProxy: addressMatcher(['127.0.0.1/32']) });
    expect((await request(behindProxy, '/', 'GET', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(200);
    // The peer (127.0.0.1) is not a trusted proxy here: its X-Forwarded-For is the client's own claim.
    const direct = await start(edge, { trustProxy: addressMatcher(['10.9.9.9/32']) });
    expect((await request(direct, '/', 'GET', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
  });
});

describe('maxBodySize in front of a proxied origin', () => {
  it('answers 413 to a declared length past it before the origin hears of the request', async () => {
    const upstream = await origin();
    const edge = defineEdge({ pools: { app: { servers: [upstream.url] } }, routes: { '/': { proxy: 'app', maxBodySize: 1_000 } } });
    edges.push(edge);
    const server = await start(edge);
    const answer = await rawExchange(server, `POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(upstream.seen).toEqual([]);
  });

  it('cuts a chunked body at the limit with 413, and the origin stays in the pool', async () => {
    const upstream = await origin();
    const failures: string[] = [];
    const edge = defineEdge({
      pools: { app: { servers: [upstream.url], maxFails: 1 } },
      routes: { '/': { proxy: { pool: 'app', onError: (error) => failures.push(error.message) }, maxBodySize: 1_000 } },
    });
    edges.push(edge);
    const server = await start(edge);
    const chunk = `${(700).toString(16)}\r\n${'x'.repeat(700)}\r\n`;
    const answer = await rawExchange(server, `POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`, chunk, chunk, '0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(upstream.seen.filter((line) => line.endsWith(' 1400'))).toEqual([]);
    expect(failures).toEqual([]);
    // Not counted against the server: the next request goes through.
    expect(await request(server, '/after', 'POST', { 'content-length': '0' })).toMatchObject({ status: 200, body: 'got 0' });
  });
});
