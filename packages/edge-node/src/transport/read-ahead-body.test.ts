// A request body the proxy read whole (its default buffering) goes to the
// server through http1Transport with its head, as bytes, not through a
// reader: the server must get exactly the body, with its length, on every
// attempt.
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createPool, createProxy, takeReadAheadBody } from '@gatehouse/edge';
import { freePort } from '@gatehouse/test-support/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, start } from '../_test-helpers.ts';
import { http1Transport } from './http1-transport.ts';

let origin: Server;
let originUrl = '';
const transport = http1Transport();

beforeAll(async () => {
  origin = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => res.end(JSON.stringify({ length: req.headers['content-length'] ?? null, chunked: req.headers['transfer-encoding'] ?? null, bytes, sha: hash.digest('hex') })));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
});

afterAll(async () => {
  await closeAll();
  await transport.close();
  origin.closeAllConnections();
  await new Promise((resolve) => origin.close(resolve));
});

/** A chunked upload of `parts` through the edge at `port`; resolves with what the origin said it got. */
function upload(port: number, parts: Buffer[]): Promise<{ length: string | null; chunked: string | null; bytes: number; sha: string }> {
  return new Promise((resolve, reject) => {
    const client = httpRequest({ host: '127.0.0.1', port, path: '/up', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text) as never));
    });
    client.on('error', reject);
    for (const part of parts) client.write(part);
    client.end();
  });
}

describe('a body read ahead, sent by http1Transport', () => {
  const parts = [Buffer.alloc(7_000, 'a'), Buffer.alloc(5_000, 'b'), Buffer.from([0, 1, 2, 255])];
  const sha = createHash('sha256').update(Buffer.concat(parts)).digest('hex');

  it('reaches the server whole, with its Content-Length, though the client sent it chunked', async () => {
    const edge = await start(createProxy(createPool({ name: 'app', servers: [originUrl] }), { transport }));
    expect(await upload(edge.port, parts)).toEqual({ length: '12004', chunked: null, bytes: 12_004, sha });
  });

  it('is sent whole again to the next server when the first refuses the connection', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const pool = createPool({ name: 'app', servers: [dead, originUrl], balance: 'round-robin' });
    const edge = await start(createProxy(pool, { transport, onError: () => {} }));
    for (let i = 0; i < 2; i++) expect(await upload(edge.port, parts)).toEqual({ length: '12004', chunked: null, bytes: 12_004, sha });
  });

  it('is claimed once, and never once read', async () => {
    let sent: ReadableStream<Uint8Array> | null = null;
    const spy = createProxy(createPool({ name: 'app', servers: [originUrl] }), {
      transport: async (request) => {
        sent = request.body;
        return new Response('ok');
      },
    });
    await spy.fetch(new Request('http://edge.test/', { method: 'POST', body: 'hello' }), {}, { waitUntil() {}, passThroughOnException() {}, clientAddress: '127.0.0.1', runtime: 'test', props: {} });
    const stream = sent as unknown as ReadableStream<Uint8Array>;
    expect(new TextDecoder().decode(takeReadAheadBody(stream))).toBe('hello');
    expect(takeReadAheadBody(stream)).toBeUndefined();
    const streamed = new ReadableStream<Uint8Array>();
    expect(takeReadAheadBody(streamed)).toBeUndefined();
  });
});
