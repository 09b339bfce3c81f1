import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { App } from '@gatehouse/core';
import { type AssetStore, createStaticHandler, safePath, type StaticOptions } from '@gatehouse/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeServer, serve } from '@gatehouse/node';
import { rawExchange, sleep } from '../_test-helpers.ts';
import { folderAssets, type FolderAssetsOptions } from './folder-assets.ts';

const SECRET = 'TOP SECRET: outside the root';
const APP_JS = 'console.log("the identity of app.js");\n'.repeat(20);
const BIG = randomBytes(3 * 1024 * 1024 + 123);

let base: string;
let root: string;
const servers: NodeServer[] = [];

/** The edge's static handler over folderAssets, as an App served on Node. */
async function start(options: StaticOptions = {}, storeOptions: FolderAssetsOptions = {}, folder = root): Promise<NodeServer> {
  const store: AssetStore = folderAssets(folder, storeOptions);
  const statics = createStaticHandler(options);
  const app: App = {
    async fetch(request) {
      const path = safePath(new URL(request.url).pathname);
      if (path === null) return new Response('Bad Request\n', { status: 400 });
      return (await statics.serve(request, path, store)) ?? new Response('Not Found\n', { status: 404 });
    },
  };
  const server = await serve(app, { port: 0, onError: () => {} });
  servers.push(server);
  return server;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One exchange over node:http: raw bytes, nothing decompressed, redirects not followed. */
function get(server: NodeServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'gatehouse-assets-'));
  root = join(base, 'public');
  writeFileSync(join(base, 'secret.txt'), SECRET);
  mkdirSync(join(base, 'private'));
  writeFileSync(join(base, 'private', 'key.txt'), SECRET);
  mkdirSync(join(root, 'docs'), { recursive: true });
  mkdirSync(join(root, '.well-known'));
  mkdirSync(join(root, 'spa'));
  writeFileSync(join(root, 'hello.txt'), 'hello, world');
  writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
  writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(join(root, 'app.js'), APP_JS);
  writeFileSync(join(root, 'app.js.br'), brotliCompressSync(APP_JS));
  writeFileSync(join(root, 'app.js.gz'), gzipSync(APP_JS));
  writeFileSync(join(root, 'style.css'), 'body { color: red }');
  writeFileSync(join(root, 'style.css.gz'), gzipSync('body { color: red }'));
  writeFileSync(join(root, 'app.3f2a9c1b.js'), 'hashed');
  writeFileSync(join(root, 'chunk-5D3KQ2ZC.js'), 'hashed too');
  writeFileSync(join(root, 'big.bin'), BIG);
  writeFileSync(join(root, 'a b+é.txt'), 'odd name');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(root, '.well-known', 'security.txt'), 'Contact: mailto:security@example.test');
  writeFileSync(join(root, '404.html'), '<h1>custom 404</h1>');
  writeFileSync(join(root, 'spa', 'index.html'), '<div id="app"></div>');
  symlinkSync(join(root, 'hello.txt'), join(root, 'linked.txt'));
  symlinkSync('../secret.txt', join(root, 'leak.txt'));
  symlinkSync('..', join(root, 'up'));
  symlinkSync(join(base, 'private'), join(root, 'private-link'));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(base, { recursive: true, force: true });
});

describe('folderAssets through the static handler, over HTTP', () => {
  let server: NodeServer;
  beforeAll(async () => {
    server = await start();
  });

  it('serves a file with its type, validators, length and caching headers', async () => {
    const answer = await get(server, '/hello.txt');
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hello, world');
    expect(answer.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '12',
      'accept-ranges': 'bytes',
      'cache-control': 'public, max-age=0, must-revalidate',
    });
    expect(answer.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(Date.parse(answer.headers['last-modified']!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answers 304 to If-None-Match (weak comparison, lists, *) and If-Modified-Since, If-None-Match first', async () => {
    const { headers } = await get(server, '/hello.txt');
    const etag = headers.etag!;
    for (const value of [etag, `W/${etag}`, `"x", ${etag}`, '*']) {
      const answer = await get(server, '/hello.txt', { 'if-none-match': value });
      expect(answer.status).toBe(304);
      expect(answer.body.length).toBe(0);
      expect(answer.headers.etag).toBe(etag);
      expect(answer.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    }
    expect((await get(server, '/hello.txt', { 'if-none-match': '"x"' })).status).toBe(200);
    expect((await get(server, '/hello.txt', { 'if-modified-since': headers['last-modified']! })).status).toBe(304);
    expect((await get(server, '/hello.txt', { 'if-modified-since': 'Thu, 01 Jan 2015 00:00:00 GMT' })).status).toBe(200);
    const both = await get(server, '/hello.txt', { 'if-none-match': '"x"', 'if-modified-since': headers['last-modified']! });
    expect(both.status).toBe(200);
  });

  it('answers a range with 206 and Content-Range, past the end with 416, and honours If-Range', async () => {
    const part = await get(server, '/hello.txt', { range: 'bytes=7-' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 7-11/12');
    expect(part.headers['content-length']).toBe('5');
    expect(part.body.toString()).toBe('world');

    const suffix = await get(server, '/hello.txt', { range: 'bytes=-5' });
    expect(suffix.body.toString()).toBe('world');

    const unsatisfiable = await get(server, '/hello.txt', { range: 'bytes=12-20' });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers['content-range']).toBe('bytes */12');

    const several = await get(server, '/hello.txt', { range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
    expect(several.body.toString()).toBe('hello, world');

    const { headers } = await get(server, '/hello.txt');
    const current = await get(server, '/hello.txt', { range: 'bytes=0-4', 'if-range': headers.etag! });
    expect(current.status).toBe(206);
    expect(current.body.toString()).toBe('hello');
    const stale = await get(server, '/hello.txt', { range: 'bytes=0-4', 'if-range': '"old"' });
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toBe('hello, world');
    const byDate = await get(server, '/hello.txt', { range: 'bytes=0-4', 'if-range': headers['last-modified']! });
    expect(byDate.status).toBe(206);
  });

  it('chooses the br or gzip sidecar by Accept-Encoding, with Vary and an ETag of its own', async () => {
    const br = await get(server, '/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(brotliDecompressSync(br.body).toString()).toBe(APP_JS);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.headers['accept-ranges']).toBeUndefined();

    const gzip = await get(server, '/app.js', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(APP_JS);

    const weighed = await get(server, '/app.js', { 'accept-encoding': 'br;q=0.5, gzip;q=1' });
    expect(weighed.headers['content-encoding']).toBe('gzip');

    const identity = await get(server, '/app.js');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toBe('Accept-Encoding');
    expect(identity.body.toString()).toBe(APP_JS);

    expect(new Set([br.headers.etag, gzip.headers.etag, identity.headers.etag]).size).toBe(3);
    expect((await get(server, '/app.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status).toBe(304);

    const ranged = await get(server, '/app.js', { 'accept-encoding': 'br', range: 'bytes=0-6' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-encoding']).toBeUndefined();
    expect(ranged.body.toString()).toBe('console');

    // Only a .gz beside it: gzip for those who take it, Vary for everyone.
    expect((await get(server, '/style.css', { 'accept-encoding': 'br' })).headers.vary).toBe('Accept-Encoding');
    expect((await get(server, '/hello.txt', { 'accept-encoding': 'br' })).headers.vary).toBeUndefined();
  });

  it('serves index files and redirects a folder to its slash form', async () => {
    expect((await get(server, '/')).body.toString()).toBe('<h1>home</h1>');
    const docs = await get(server, '/docs/');
    expect(docs.body.toString()).toBe('<h1>docs</h1>');
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    const redirect = await get(server, '/docs?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/docs/?x=1');
    expect((await get(server, '/spa')).headers.location).toBe('/spa/');
    expect((await get(server, '/nothing/')).status).toBe(404);
  });

  it('marks hashed names immutable and the rest must-revalidate', async () => {
    expect((await get(server, '/app.3f2a9c1b.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get(server, '/chunk-5D3KQ2ZC.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get(server, '/app.js')).headers['cache-control']).toBe('public, max-age=0, must-revalidate');
  });

  it('answers HEAD with the head of a GET and no body', async () => {
    const got = await get(server, '/big.bin');
    const head = await get(server, '/big.bin', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(BIG.length));
    expect(head.headers.etag).toBe(got.headers.etag);
    expect(head.headers['content-type']).toBe(got.headers['content-type']);
  });

  it('answers other methods on a file with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const answer = await get(server, '/hello.txt', {}, method);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
  });

  it('streams a large file whole and in ranges that cross its reads', async () => {
    const whole = await get(server, '/big.bin');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-length']).toBe(String(BIG.length));
    expect(whole.headers['content-type']).toBe('application/octet-stream');
    expect(whole.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(whole.body.equals(BIG)).toBe(true);
    for (const [start, end] of [
      [0, 0],
      [65_530, 65_545],
      [1_000_000, 2_500_000],
      [BIG.length - 10, BIG.length - 1],
    ] as const) {
      const part = await get(server, '/big.bin', { range: `bytes=${start}-${end}` });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${BIG.length}`);
      expect(part.body.equals(BIG.subarray(start, end + 1))).toBe(true);
    }
  });

  it('serves names with spaces, + and non-ASCII characters', async () => {
    const answer = await get(server, '/a%20b+%C3%A9.txt');
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('odd name');
  });

  it('follows a link inside the root, none that leads out', async () => {
    expect((await get(server, '/linked.txt')).body.toString()).toBe('hello, world');
    // What counts is where a link leads: out and back in is in.
    expect((await get(server, '/up/public/hello.txt')).body.toString()).toBe('hello, world');
    for (const path of ['/leak.txt', '/up/secret.txt', '/private-link/key.txt', '/up/private/key.txt']) {
      const answer = await get(server, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.toString()).not.toContain(SECRET);
    }
  });

  it('keeps dot files private, /.well-known/ excepted', async () => {
    expect((await get(server, '/.env')).status).toBe(404);
    expect((await get(server, '/.well-known/security.txt')).status).toBe(200);
  });
});

describe('SPA fallback and custom 404 page, over HTTP', () => {
  it('serves the fallback to page requests and the 404 page to the rest', async () => {
    const server = await start({ spaFallback: '/spa/index.html', notFound: '/404.html' });
    const page = await get(server, '/settings/profile', { accept: 'text/html,*/*;q=0.8' });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe('<div id="app"></div>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');

    const api = await get(server, '/api/missing.json', { accept: 'application/json' });
    expect(api.status).toBe(404);
    expect(api.body.toString()).toBe('<h1>custom 404</h1>');
    expect(api.headers['cache-control']).toBe('no-cache');
    expect(api.headers.etag).toBeUndefined();

    const head = await get(server, '/missing.png', {}, 'HEAD');
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe('19');
  });
});

describe('folderAssets: caching and revalidation', () => {
  it('keeps a small file in memory for `revalidate` ms, then sees the edit', async () => {
    const folder = mkdtempSync(join(base, 'edit-'));
    writeFileSync(join(folder, 'page.txt'), 'first');
    const server = await start({}, { revalidate: 1000 }, folder);
    const first = await get(server, '/page.txt');
    expect(first.body.toString()).toBe('first');
    writeFileSync(join(folder, 'page.txt'), 'second, longer');
    // Within the window the cached copy is served: no stat, no read.
    expect((await get(server, '/page.txt')).body.toString()).toBe('first');
    await sleep(1100);
    const second = await get(server, '/page.txt');
    expect(second.body.toString()).toBe('second, longer');
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect((await get(server, '/page.txt', { 'if-none-match': first.headers.etag! })).status).toBe(200);
  });

  it('sees files appear and disappear, checking on every request with revalidate 0', async () => {
    const folder = mkdtempSync(join(base, 'appear-'));
    const server = await start({}, { revalidate: 0 }, folder);
    expect((await get(server, '/new.txt')).status).toBe(404);
    writeFileSync(join(folder, 'new.txt'), 'now here');
    expect((await get(server, '/new.txt')).body.toString()).toBe('now here');
    writeFileSync(join(folder, 'new.txt'), 'now HERE'); // same size: the times and inode tell
    expect((await get(server, '/new.txt')).body.toString()).toBe('now HERE');
    unlinkSync(join(folder, 'new.txt'));
    expect((await get(server, '/new.txt')).status).toBe(404);
  });

  it('streams files above maxFileSize and serves the same bytes either way', async () => {
    const folder = mkdtempSync(join(base, 'sizes-'));
    const content = randomBytes(10_000);
    writeFileSync(join(folder, 'data.bin'), content);
    const small = folderAssets(folder);
    const large = folderAssets(folder, { maxFileSize: 1000 });
    const inMemory = await small.get('/data.bin');
    const onDisk = await large.get('/data.bin');
    // Cached files come as a plain stream of the one cached array (no copies).
    expect(inMemory!.body()).toBeInstanceOf(ReadableStream);
    const stream = await onDisk!.body({ start: 10, end: 9_999 });
    expect(stream).toBeInstanceOf(ReadableStream);
    expect(Buffer.from(await new Response(stream).arrayBuffer()).equals(content.subarray(10))).toBe(true);
    expect(Buffer.from(await new Response(await inMemory!.body()).arrayBuffer()).equals(content)).toBe(true);
    expect(inMemory!.size).toBe(onDisk!.size);
  });

  it('refuses to stream a large file that changed after it was described', async () => {
    const folder = mkdtempSync(join(base, 'changed-'));
    writeFileSync(join(folder, 'data.bin'), randomBytes(5000));
    const store = folderAssets(folder, { maxFileSize: 100, revalidate: 60_000 });
    const asset = await store.get('/data.bin');
    writeFileSync(join(folder, 'data.bin'), randomBytes(6000));
    await expect(asset!.body()).rejects.toThrow(/changed/);
  });

  it('refuses paths that are not store paths before the file system sees them', async () => {
    const store = folderAssets(root, { dotfiles: true });
    for (const path of ['hello.txt', '/../secret.txt', '/./hello.txt', '//hello.txt', '/docs/', '/', '/hello.txt.', '/a\\b', '/x\0']) {
      expect(await store.get(path), path).toBeNull();
    }
    expect(await store.get('/.env')).not.toBeNull();
    expect(await folderAssets(root).get('/.env')).toBeNull();
  });

  it('throws at once for a root that is not a folder', () => {
    expect(() => folderAssets(join(base, 'no-such-folder'))).toThrow(/ENOENT/);
    expect(() => folderAssets(join(base, 'secret.txt'))).toThrow(/Not a folder/);
  });
});

// Request targets sent as raw bytes over a socket, so no client tidies them
// up first. Every one aims at ../secret.txt (or ../private/key.txt) from the root.
const traversal = [
  '/../secret.txt',
  '/../../secret.txt',
  '/docs/../../secret.txt',
  '/./../secret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/%2e%2E/secret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/docs/%2e%2e/%2e%2e/secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e%2fsecret.txt',
  '/docs%2f..%2f..%2fsecret.txt',
  '/..%5csecret.txt',
  '/..%5Csecret.txt',
  '/%2e%2e%5csecret.txt',
  '/..\\secret.txt',
  '/docs\\..\\..\\secret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/%25%32%65%25%32%65/secret.txt',
  '/..%00/secret.txt',
  '/../secret.txt%00.html',
  '/%2e%2e/secret.txt%00',
  '/%00../secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%ae%c0%ae%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%c1%9c..%c1%9csecret.txt',
  '/%ef%bc%8e%ef%bc%8e/secret.txt',
  '/%e2%80%a5/secret.txt',
  '/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt',
  '/..%ef%bc%8fsecret.txt',
  '/%u002e%u002e/secret.txt',
  '/..;/secret.txt',
  '/%2e%2e;/secret.txt',
  '/.../secret.txt',
  '/.. /secret.txt',
  '/../secret.txt.',
  '/../secret.txt%20',
  '//../secret.txt',
  '/docs//../../secret.txt',
  '/../private/key.txt',
  '/%2e%2e/private/key.txt',
  '/up/secret.txt',
  '/up/%2e%2e/secret.txt',
  '/leak.txt',
  '/private-link/key.txt',
  'http://127.0.0.1/../secret.txt',
  '../secret.txt',
  'secret.txt',
];

async function raw(server: NodeServer, target: string): Promise<{ status: number; reply: string }> {
  const reply = await rawExchange(server, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  expect(reply).toMatch(/^HTTP\/1\.1 \d{3} /);
  return { status: Number(reply.slice(9, 12)), reply };
}

describe('path traversal, as raw requests', () => {
  let plain: NodeServer;
  let spa: NodeServer;
  beforeAll(async () => {
    plain = await start({}, { dotfiles: true });
    spa = await start({ spaFallback: '/index.html', notFound: '/404.html' }, { dotfiles: true });
  });

  it('has a corpus of at least 40 targets', () => {
    expect(traversal.length).toBeGreaterThanOrEqual(40);
  });

  it.each(traversal)('refuses %s (400) or finds nothing there (404), never the secret', async (target) => {
    const { status, reply } = await raw(plain, target);
    expect(reply).not.toContain(SECRET);
    expect([400, 404]).toContain(status);
  });

  it('never serves the secret through an SPA fallback or 404 page either: only the app page', async () => {
    const wrong: string[] = [];
    for (const target of traversal) {
      const { status, reply } = await raw(spa, target);
      const fine = status === 200 ? reply.includes('<h1>home</h1>') : status === 400 || status === 404;
      if (reply.includes(SECRET) || !fine) wrong.push(`${target} → ${status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('still serves after all that', async () => {
    expect((await get(plain, '/hello.txt')).body.toString()).toBe('hello, world');
    expect((await raw(plain, '/docs/../hello.txt')).reply).toContain('hello, world');
  });
});
