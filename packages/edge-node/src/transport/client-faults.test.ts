// What a client does wrong is never counted against an origin: through the
// edge on Node, on every transport, a body over the edge's limit, a slow but
// steady upload and a stalled one each get the status that says what
// happened, and the pool keeps all its servers (a failure would take one
// down for failTimeout: maxFails is 1 here).
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineEdge, fetchTransport, type Transport } from '@gatehouse/edge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeAll, sleep, start } from '../_test-helpers.ts';
import { http1Transport } from './http1-transport.ts';
import type { PooledTransport } from './pooled-transport.ts';
import { undiciTransport } from './undici-transport.ts';

/** Requests each origin answered since the last reset, by its URL. */
const answered = new Map<string, number>();
const origins: Server[] = [];
const urls: string[] = [];
const pooled: PooledTransport[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const origin = createServer((req, res) => {
      const url = urls[i]!;
      let length = 0;
      req.on('data', (chunk: Buffer) => (length += chunk.byteLength));
      req.on('end', () => {
        answered.set(url, (answered.get(url) ?? 0) + 1);
        res.end(`${req.method} ${length}`);
      });
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    origins.push(origin);
    urls.push(`http://127.0.0.1:${(origin.address() as AddressInfo).port}`);
  }
});

beforeEach(() => answered.clear());

afterAll(async () => {
  await closeAll();
  await Promise.all(pooled.map((transport) => transport.close()));
  // The deaf origins still hold the uploads they never read.
  for (const origin of origins) origin.closeAllConnections();
  await Promise.all(origins.map((origin) => new Promise((resolve) => origin.close(resolve))));
});

const MAX_BODY = 256 * 1024;
const CLIENT_BODY_TIMEOUT = 3_000;

async function edgeOver(transport: Transport): Promise<string> {
  const edge = defineEdge({
    transport,
    // A server's responseTimeout far shorter than the uploads below take.
    pools: { app: { servers: urls, maxFails: 1, failTimeout: 60_000, responseTimeout: 400 } },
    // Well past the pauses below, so that a loaded machine's late timers cannot reach it.
    routes: { '/': { proxy: { pool: 'app', clientBodyTimeout: CLIENT_BODY_TIMEOUT } } },
  });
  return (await start(edge, { maxBodySize: MAX_BODY })).url;
}

/** A POST whose body the client writes as `pieces` chunks of `size` bytes, `gap` ms apart, chunked. */
function upload(url: string, pieces: number, size: number, gap: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    void (async () => {
      for (let i = 0; i < pieces && !req.destroyed; i++) {
        req.write(Buffer.alloc(size, 0x61));
        if (gap > 0) await sleep(gap);
      }
      if (!req.destroyed) req.end();
    })();
  });
}

/** Thirty GETs: round-robin gives each origin ten while none is down. */
async function spread(url: string): Promise<number[]> {
  answered.clear();
  for (let i = 0; i < 30; i++) expect((await fetch(url)).status).toBe(200);
  return urls.map((origin) => answered.get(origin) ?? 0);
}

/** An origin that takes the connection and the request head, then reads nothing and answers nothing. */
async function deafOrigin(): Promise<string> {
  const origin = createServer((req) => req.pause());
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  origins.push(origin);
  return `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
}

const kinds: [string, () => Transport][] = [
  ['fetchTransport', () => fetchTransport],
  ['http1Transport', () => http1Transport()],
  ['undiciTransport', () => undiciTransport()],
];

describe.each(kinds)('client faults through the edge with %s', (_name, make) => {
  let url: string;
  beforeAll(async () => {
    const transport = make();
    if ('close' in transport) pooled.push(transport as PooledTransport);
    url = await edgeOver(transport);
  });

  it('answers 413 to bodies over the limit, and the pool keeps every server', async () => {
    for (let i = 0; i < 4; i++) {
      const { status } = await upload(`${url}/upload`, 8, 64 * 1024, 0).catch(() => ({ status: 0 }));
      // 0: the edge closed the connection on the upload after its 413, before the client read it.
      expect([413, 0]).toContain(status);
    }
    expect(await spread(url)).toEqual([10, 10, 10]);
  });

  it('passes a slow but steady upload on, however long it takes past responseTimeout', async () => {
    // 1.2 s of uploading against a server timed at 400 ms.
    const { status, body } = await upload(`${url}/upload`, 12, 1024, 100);
    expect(status).toBe(200);
    expect(body).toBe(`POST ${12 * 1024}`);
    expect(await spread(url)).toEqual([10, 10, 10]);
  });

  it('passes on an upload that pauses longer than responseTimeout, within clientBodyTimeout', async () => {
    // 1 s pauses: past responseTimeout (400 ms), within clientBodyTimeout.
    const { status, body } = await upload(`${url}/upload`, 3, 1024, 1_000);
    expect(status).toBe(200);
    expect(body).toBe(`POST ${3 * 1024}`);
    expect(await spread(url)).toEqual([10, 10, 10]);
  });

  it('still times a server that stops taking the body: 504', async () => {
    // 8 MiB: more than the socket buffers between edge and origin hold, so the edge waits on the server.
    const transport = make();
    if ('close' in transport) pooled.push(transport as PooledTransport);
    const edge = defineEdge({
      transport,
      pools: { deaf: { servers: [await deafOrigin()], responseTimeout: 400 } },
      routes: { '/': { proxy: { pool: 'deaf', clientBodyTimeout: 800 } } },
    });
    const deaf = (await start(edge, { maxBodySize: 16 * 1024 * 1024 })).url;
    const started = Date.now();
    const { status } = await upload(`${deaf}/upload`, 128, 64 * 1024, 0).catch(() => ({ status: 0 }));
    expect(status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 408 to an upload that stalls past clientBodyTimeout, and counts nothing against the server', async () => {
    const stalled = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/upload`, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, body });
        });
      });
      req.on('error', reject);
      // One piece, then silence: the client neither sends more nor ends.
      req.write('a'.repeat(100));
    });
    expect(stalled.status).toBe(408);
    expect(stalled.body).toMatch(new RegExp(`^Request Timeout: the client sent nothing of its body for ${CLIENT_BODY_TIMEOUT} ms`));
    expect(await spread(url)).toEqual([10, 10, 10]);
  });
});
