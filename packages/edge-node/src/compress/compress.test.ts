// Compression on Node over real sockets: the edge's files (whole, from the
// request head) and proxied answers (streamed, from a real origin), each
// decoded on the client side and compared with what was sent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { folderAssets } from '../assets/index.ts';
import { defineEdge, type NodeEdgeApp } from '../define-edge.ts';
import { closeAll, start } from '../_test-helpers.ts';
import { compress } from './compress.ts';

const TEXT = 'All work and no play makes Jack a dull boy.\n'.repeat(2_000);
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-compress-'));
writeFileSync(join(folder, 'page.html'), TEXT);
writeFileSync(join(folder, 'tiny.css'), 'a{}');
writeFileSync(join(folder, 'photo.png'), Buffer.alloc(5_000, 7));
writeFileSync(join(folder, 'app.js'), TEXT);
writeFileSync(join(folder, 'app.js.br'), Buffer.from('already brotli'));

let origin: Server;
let originUrl = '';
const edges: NodeEdgeApp[] = [];
beforeAll(async () => {
  origin = createServer((req, res) => {
    if (req.url === '/api/stream') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      setTimeout(() => res.end(`${JSON.stringify(TEXT)}]`), 20);
    } else if (req.url === '/api/no-transform') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-transform' });
      res.end(TEXT);
    } else {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(TEXT)), etag: '"v1"', vary: 'Cookie' });
      res.end(TEXT);
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
});
afterEach(closeAll);
afterAll(async () => {
  await Promise.all(edges.map((edge) => edge.close()));
  origin.closeAllConnections();
  await new Promise((resolve) => origin.close(resolve));
  rmSync(folder, { recursive: true, force: true });
});

async function edgeServer(): Promise<{ port: number }> {
  const edge = defineEdge({
    assets: folderAssets(folder),
    pools: { api: { servers: [originUrl] } },
    routes: { '/api/': { proxy: 'api' }, '/': { static: { precompressed: ['br'] } } },
  });
  edges.push(edge);
  return start(compress(edge));
}

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(server: { port: number }, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: server.port, path, headers, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

const decode = (got: Got): string => {
  const coding = got.headers['content-encoding'];
  const body = coding === 'gzip' ? gunzipSync(got.body) : coding === 'br' ? brotliDecompressSync(got.body) : coding === 'zstd' ? zstdDecompressSync(got.body) : got.body;
  return body.toString();
};

describe('compress', () => {
  it('compresses a file and a proxied answer with the coding the q-values choose, Vary kept and extended, the ETag made weak', async () => {
    const server = await edgeServer();
    const file = await get(server, '/page.html', { 'accept-encoding': 'gzip;q=0.8, br;q=0.5' });
    // Read whole and compressed at once: its new length is known.
    expect([file.headers['content-encoding'], file.headers['content-length'], file.headers.vary]).toEqual(['gzip', String(file.body.byteLength), 'Accept-Encoding']);
    expect(file.headers.etag).toMatch(/^W\/"/);
    expect(decode(file)).toBe(TEXT);
    expect(file.body.byteLength).toBeLessThan(TEXT.length / 10);

    const proxied = await get(server, '/api/text', { 'accept-encoding': 'br, gzip' });
    expect([proxied.headers['content-encoding'], proxied.headers.vary, proxied.headers.etag]).toEqual(['br', 'Cookie, Accept-Encoding', 'W/"v1"']);
    expect(decode(proxied)).toBe(TEXT);
    // zstd where it is preferred.
    const zstd = await get(server, '/api/text', { 'accept-encoding': 'zstd, gzip;q=0.5' });
    expect(zstd.headers['content-encoding']).toBe('zstd');
    expect(decode(zstd)).toBe(TEXT);
  });

  it('compresses an answer that streams, with no Content-Length', async () => {
    const server = await edgeServer();
    const streamed = await get(server, '/api/stream', { 'accept-encoding': 'gzip' });
    expect(streamed.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(decode(streamed))).toEqual([TEXT]);
  });

  it('sends as it is: no Accept-Encoding, a small body, an image, a range, a sidecar already encoded, no-transform, and a HEAD without a body', async () => {
    const server = await edgeServer();
    const plain = await get(server, '/page.html');
    expect([plain.headers['content-encoding'], plain.headers['content-length'], plain.headers.vary]).toEqual([undefined, String(TEXT.length), 'Accept-Encoding']);
    expect(plain.body.toString()).toBe(TEXT);
    const identityOnly = await get(server, '/page.html', { 'accept-encoding': 'gzip;q=0, identity' });
    expect(identityOnly.headers['content-encoding']).toBeUndefined();
    expect((await get(server, '/tiny.css', { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
    expect((await get(server, '/photo.png', { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
    const range = await get(server, '/page.html', { 'accept-encoding': 'gzip', range: 'bytes=0-9' });
    expect([range.status, range.headers['content-encoding'], range.body.toString()]).toEqual([206, undefined, TEXT.slice(0, 10)]);
    // The .br sidecar goes as it is: never encoded twice.
    const sidecar = await get(server, '/app.js', { 'accept-encoding': 'br' });
    expect([sidecar.headers['content-encoding'], sidecar.body.toString()]).toEqual(['br', 'already brotli']);
    expect((await get(server, '/api/no-transform', { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
    const head = await get(server, '/page.html', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect([head.headers['content-encoding'], head.body.byteLength]).toEqual(['gzip', 0]);
  });
});
