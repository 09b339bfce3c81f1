import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ANSWER_HEAD } from '@gatehouse/core';
import { defineEdge, type EdgeApp } from '@gatehouse/edge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Every test asks two servers over real sockets, some for streamed bodies: a loaded machine needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });
import { closeAll, start } from './_test-helpers.ts';
import type { NodeServer } from '@gatehouse/node';
import { folderAssets } from './assets/index.ts';
import { http1Transport } from './transport/index.ts';

// The edge proxies a GET or HEAD that @gatehouse/node hands it by its head
// without a Request or a Response (http1Transport's `answer`). Every case
// here goes to the same edge twice, as it is and as a plain App without
// the head answers, and the two answers must be the same.

interface Raw {
  status: number;
  statusMessage: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(server: NodeServer, path: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // One Host for both servers, whose ports differ: the edge forwards it (X-Forwarded-Host).
    const fields = { host: 'site.test', ...headers };
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers: fields, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // Node's client joins repeated fields (Set-Cookie stays a list): the
        // order fields came in, which the two paths need not share, is gone.
        const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = res.headers;
        resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: rest, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The origin's echo of what reached it, with the body parsed: its fields' order is the forwarding path's own. */
function echoed(raw: Raw): unknown {
  if (raw.headers['content-type'] !== 'application/json' || raw.body.length === 0) return raw;
  return { ...raw, body: JSON.parse(raw.body.toString('utf8')) as unknown };
}

const BIG = Buffer.alloc(1024 * 1024, 'x');
/** Requests the origin is holding open; each resolves when its client (the edge) goes away. */
const held: Promise<void>[] = [];
/** Requests for /slow; each resolves when it is over: true if answered, false if the edge left first. */
const slow: Promise<boolean>[] = [];

function origin(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').replace(/^\/[a-z]+(?=\/)/, '').replace(/\?.*/, '');
  switch (path) {
    case '/echo':
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
      return;
    case '/fields':
      // Repeated fields, hop-by-hop ones, and one that Connection names.
      res.writeHead(200, 'Fine', [
        'set-cookie', 'a=1; Path=/',
        'vary', 'Accept',
        'connection', 'x-private',
        'x-private', 'secret',
        'keep-alive', 'timeout=30',
        'set-cookie', 'b=2; HttpOnly',
        'vary', 'Cookie',
        'proxy-authenticate', 'Basic',
        'content-type', 'text/plain',
      ]);
      res.end('fields');
      return;
    case '/chunked': {
      // Written in pieces a turn apart: the body streams through.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let left = 5;
      const more = (): void => {
        if (left-- === 0) {
          res.end();
          return;
        }
        res.write(Buffer.alloc(40 * 1024, 48 + left));
        setTimeout(more, 5);
      };
      more();
      return;
    }
    case '/big':
      res.writeHead(200, { 'content-length': String(BIG.length) });
      res.end(BIG);
      return;
    case '/empty':
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end();
      return;
    case '/not-modified':
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' });
      res.end();
      return;
    case '/no-content':
      res.writeHead(204, { 'x-done': 'yes' });
      res.end();
      return;
    case '/redirect':
      res.writeHead(302, { location: '/elsewhere?x=1' });
      res.end('moved');
      return;
    case '/not-found':
      res.writeHead(404, 'Nowhere', { 'content-type': 'text/plain' });
      res.end('no such thing');
      return;
    case '/odd-status':
      res.writeHead(600);
      res.end('?');
      return;
    case '/slow': {
      const timer = setTimeout(() => res.end('late'), 1_000);
      slow.push(once(res, 'close').then(() => {
        clearTimeout(timer);
        return res.writableFinished;
      }));
      return;
    }
    case '/hold':
      // Some of a body, then nothing: until the edge goes away.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first');
      held.push(once(res, 'close').then(() => undefined));
      return;
    default:
      res.writeHead(500);
      res.end('unknown origin path');
  }
}

let origins: Server[] = [];
let dead: string;
let edge: EdgeApp;
let fast: NodeServer;
let full: NodeServer;
let fastTimed: NodeServer;
let fullTimed: NodeServer;
let fromHead = 0;
let dir: string;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origins.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const one = await listen(origin);
  const two = await listen(origin);
  const unavailable = await listen((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('busy');
  });
  // A port nobody listens on any more.
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));

  dir = mkdtempSync(join(tmpdir(), 'gatehouse-proxy-head-'));
  mkdirSync(join(dir, 'site', 'docs'), { recursive: true });
  writeFileSync(join(dir, 'site', 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(join(dir, 'site', 'page.txt'), 'a page');
  writeFileSync(join(dir, 'site', 'big.bin'), Buffer.alloc(4096, 1));
  edge = defineEdge({
    transport: http1Transport(),
    // Files up to 1 KiB in memory: big.bin streams from the disk. The files never
    // change here: trusted for good, so that what the first server's request
    // taught the store still holds when the second asks, however slow the machine.
    assets: folderAssets(dir, { maxFileSize: 1024, revalidate: Infinity }),
    pools: {
      app: { servers: [one], responseTimeout: 300 },
      failover: { servers: [dead, one], retry: { on: ['error'], tries: 2 } },
      busy: { servers: [unavailable, two], retry: { on: ['error', 503], tries: 2 } },
      gone: { servers: [dead] },
      least: { servers: [one, two], balance: 'least-in-flight' },
      sticky: { servers: [one, two], balance: { hash: 'cookie', name: 'session' } },
    },
    routes: {
      '^~ /failover/': { proxy: 'failover' },
      '^~ /busy/': { proxy: 'busy' },
      '^~ /gone/': { proxy: 'gone' },
      '^~ /least/': { proxy: 'least' },
      '^~ /sticky/': { proxy: 'sticky' },
      '^~ /strip/': { proxy: { pool: 'app', stripPrefix: '/strip' } },
      '^~ /client-host/': { proxy: { pool: 'app', host: 'client' } },
      '^~ /named-host/': { proxy: { pool: 'app', host: 'api.internal' } },
      '^~ /rewritten/': { proxy: { pool: 'app', rewrite: (path) => path.replace('/rewritten', '') } },
      '= /hello': { respond: 'hello' },
      '^~ /site/': { tryFiles: 'app' },
      '/': { proxy: 'app' },
    },
  });
  const counting = {
    fetch: edge.fetch,
    [ANSWER_HEAD]: (...args: Parameters<EdgeApp[typeof ANSWER_HEAD]>) => {
      const answer = edge[ANSWER_HEAD](...args);
      if (answer !== undefined) fromHead++;
      return answer;
    },
  };
  const plain = { fetch: edge.fetch };
  fast = await start(counting as never);
  full = await start(plain);
  fastTimed = await start(counting as never, { handlerTimeout: 150 });
  fullTimed = await start(plain, { handlerTimeout: 150 });
});

afterAll(async () => {
  await closeAll();
  for (const server of origins) server.closeAllConnections();
  await Promise.all(origins.map((server) => new Promise((resolve) => server.close(resolve))));
  origins = [];
  rmSync(dir, { recursive: true, force: true });
});

/** Ask both servers; the answers must match, and the fast one must have answered from the head (or not). */
async function expectSame(path: string, method = 'GET', headers: Record<string, string> = {}, viaHead = true, body?: string): Promise<Raw> {
  const before = fromHead;
  const expected = await get(full, path, method, headers, body);
  const got = await get(fast, path, method, headers, body);
  const what = `${method} ${path} ${JSON.stringify(headers)}`;
  expect(echoed(got), what).toEqual(echoed(expected));
  expect(fromHead - before, `${what}: ${viaHead ? 'answered from the head' : 'went the Request path'}`).toBe(viaHead ? 1 : 0);
  return got;
}

describe('proxying from the request head (http1Transport.answer)', () => {
  it('forwards the same request upstream: path, query, Host, X-Forwarded-*, no hop-by-hop fields', async () => {
    const headers = {
      'x-forwarded-for': '203.0.113.9',
      connection: 'x-drop-me',
      'x-drop-me': '1',
      'proxy-authorization': 'Basic Zm9v',
      te: 'trailers',
      accept: 'text/html',
      cookie: 'a=1; session=s1',
    };
    const answer = echoed(await expectSame('/echo?q=1&r=%20', 'GET', headers)) as { body: { url: string; headers: Record<string, string> } };
    expect(answer.body.url).toBe('/echo?q=1&r=%20');
    expect(answer.body.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(answer.body.headers['x-forwarded-proto']).toBe('http');
    expect(answer.body.headers['x-drop-me']).toBeUndefined();
    expect(answer.body.headers['proxy-authorization']).toBeUndefined();
    expect(answer.body.headers.te).toBeUndefined();
    await expectSame('/echo', 'HEAD');
    await expectSame('/strip/echo?x');
    await expectSame('/client-host/echo');
    await expectSame('/named-host/echo');
    await expectSame('/sticky/echo', 'GET', { cookie: 'session=abc' });
    await expectSame('/least/fields');
  });

  it('passes the same answer back: status, reason, repeated fields, no hop-by-hop ones', async () => {
    const answer = await expectSame('/fields');
    expect(answer.statusMessage).toBe('Fine');
    expect(answer.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(answer.headers['x-private']).toBeUndefined();
    expect(answer.headers['proxy-authenticate']).toBeUndefined();
    await expectSame('/fields', 'HEAD');
    await expectSame('/not-modified', 'GET', { 'if-none-match': '"v1"' });
    await expectSame('/no-content');
    await expectSame('/redirect');
    await expectSame('/not-found');
    await expectSame('/empty');
  });

  it('streams bodies through, whole or in pieces, and HEAD gets none', async () => {
    expect((await expectSame('/chunked')).body.length).toBe(5 * 40 * 1024);
    expect((await expectSame('/big')).body.equals(BIG)).toBe(true);
    expect((await expectSame('/big', 'HEAD')).body.length).toBe(0);
    await expectSame('/least/chunked');
  });

  it('fails over, retries statuses, and answers 502 and 504 as the Request path does', async () => {
    await expectSame('/failover/echo');
    for (let i = 0; i < 3; i++) expect((await expectSame('/busy/echo')).status).toBe(200);
    expect((await expectSame('/gone/echo')).status).toBe(502);
    expect((await expectSame('/slow')).status).toBe(504);
    expect((await expectSame('/odd-status')).status).toBe(502);
  });

  it('leaves to the Request path what needs a Request: bodies, rewrite functions, other routes', async () => {
    await expectSame('/rewritten/echo', 'GET', {}, false);
    await expectSame('/hello', 'GET', {}, false);
    await expectSame('/echo', 'DELETE', {}, false);
    await expectSame('/echo', 'GET', { 'content-length': '2' }, false, 'hi');
    await expectSame('/echo', 'GET', { 'transfer-encoding': 'chunked' }, false, 'hi');
  });

  it('takes tryFiles: a file in memory, else the pool once the store knows the file is missing', async () => {
    expect((await expectSame('/site/page.txt')).body.toString()).toBe('a page');
    // The Request path asks first (expectSame), and the store remembers what it did not find.
    expect((await expectSame('/site/echo?x=1')).status).toBe(200);
    await expectSame('/site/nothing/', 'HEAD');
    await expectSame('/site/big.bin', 'GET', {}, false);
    await expectSame('/site/');
    // An index, and the redirect to it: the Request path's.
    await expectSame('/site/docs/', 'GET', {}, false);
    await expectSame('/site/docs', 'GET', {}, false);
  });

  it('leaves to the Request path a Host a URL parser would change or refuse', async () => {
    for (const host of ['Site.Test', 'site.test:80', '127.1', '[0:0::1]']) {
      expect((await expectSame('/echo', 'GET', { host }, false)).status, host).toBe(200);
    }
    for (const host of ['a<b', 'site.test:99999']) {
      expect((await expectSame('/echo', 'GET', { host }, false)).status, host).toBe(400);
    }
    await expectSame('/echo', 'GET', { host: 'site.test:8080' });
    await expectSame('/echo', 'GET', { host: '[::1]' });
  });

  it('cancels the upstream exchange when the client leaves before the answer', async () => {
    for (const server of [fast, full]) {
      const before = slow.length;
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/slow', agent: false });
      req.on('error', () => {});
      req.end();
      while (slow.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
      req.destroy();
      // The origin sees the edge go before its answer (1 s).
      expect(await slow[before]).toBe(false);
    }
  });

  it('cancels the upstream exchange when the client leaves mid-body', async () => {
    for (const server of [fast, full]) {
      const before = held.length;
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/hold', agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
        req.on('close', resolve);
        req.end();
        setTimeout(() => reject(new Error('no first chunk')), 2_000);
      });
      expect(held.length).toBe(before + 1);
      // The origin sees its client (the edge's connection) go.
      await held[before];
    }
  });

  it('answers 504 past handlerTimeout and drops the upstream exchange, on both paths', async () => {
    const answers: Raw[] = [];
    for (const server of [fastTimed, fullTimed]) {
      const before = slow.length;
      const from = fromHead;
      answers.push(await get(server, '/slow'));
      expect(slow.length).toBe(before + 1);
      // Cut before the origin's answer (1 s), past the handler's 150 ms and before the pool's 300 ms.
      expect(await slow[before]).toBe(false);
      expect(fromHead - from).toBe(server === fastTimed ? 1 : 0);
    }
    expect(answers.map((answer) => answer.status)).toEqual([504, 504]);
    expect(answers[0]!.body.toString()).toBe(answers[1]!.body.toString());
    expect(answers[0]!.body.toString()).toContain('did not answer within 150 ms');
  });
});
