// Hostile clients against four targets on 127.0.0.1: serve(app) from
// @gatehouse/node on its own, and the edge (defineEdge from @gatehouse/edge,
// served by serve) in front of three real origins over each of its
// transports. Every attack is bounded in count and time, and afterwards the
// target must still serve: the plain server answers a new connection, and the
// edge's pool still has all three origins (maxFails is 1 and failTimeout a
// minute, so one failure counted against an origin would take it out).
import type { Socket } from 'node:net';
import type { App } from '@gatehouse/core';
import { defineEdge, fetchTransport, type Transport } from '@gatehouse/edge';
import { http1Transport, type PooledTransport, undiciTransport } from '@gatehouse/edge-node/transport';
import { type NodeServer, serve, type ServeOptions } from '@gatehouse/node';
import { type Listening, readUntil, sleep, socketTo } from '@gatehouse/test-support/sockets';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const KIB = 1024;
const MIB = 1024 * KIB;
const MAX_BODY = 256 * KIB;
const HOST = 'hostile.test';

/** The options of every server under attack: the edge's own and the plain one. */
const TARGET_OPTIONS: ServeOptions = {
  port: 0,
  headersTimeout: 1_000,
  requestTimeout: 2_000,
  keepAliveTimeout: 1_000,
  maxBodySize: MAX_BODY,
  gracefulTimeout: 2_000,
  onError: () => {},
};

/** Every request an App (the plain target's or an origin's) was called with, as `METHOD /path`. */
const seen: string[] = [];
/** Requests each origin answered since the last count, by its name. */
const answered = new Map<string, number>();

/** Echoes `METHOD /path bodyLength`, once it has read the whole body. */
function echoApp(name: string): App {
  return {
    async fetch(request) {
      const { pathname } = new URL(request.url);
      seen.push(`${request.method} ${pathname}`);
      const length = request.body === null ? 0 : (await request.arrayBuffer()).byteLength;
      answered.set(name, (answered.get(name) ?? 0) + 1);
      return new Response(`${request.method} ${pathname} ${length}`);
    },
  };
}

// ---------------------------------------------------------------- sockets

/** Every socket a test opened: destroyed after it, whatever happened. */
const open = new Set<Socket>();

async function connect(server: Listening): Promise<Socket> {
  const socket = await socketTo(server);
  // Resets and writes after the server's close are expected here.
  socket.on('error', () => {});
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  return socket;
}

interface Collected {
  /** Everything read, one character per byte. */
  text: string;
  /** Whether the connection closed before the deadline. */
  closed: boolean;
}

/** What arrives on `socket` from now until it closes, or until `ms` have passed. */
function collect(socket: Socket, ms: number): Promise<Collected> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', onData);
    if (socket.destroyed) done(true);
    else socket.once('close', () => done(true));
  });
}

/** Send `bytes` in one write on a new connection; what came back until the server closed it (at most `ms`). */
async function exchange(server: Listening, bytes: string, ms = 3_000): Promise<Collected> {
  const socket = await connect(server);
  const reply = collect(socket, ms);
  socket.write(bytes);
  const result = await reply;
  socket.destroy();
  return result;
}

/** How many responses `text` holds. */
const responseCount = (text: string): number => text.split('HTTP/1.1 ').length - 1;

/** The status of the first response in `text`, 0 for none. */
const statusOf = (text: string): number => (/^HTTP\/1\.1 (\d{3}) /.exec(text) ? Number(text.slice(9, 12)) : 0);

/** The body of the first response in `text`, de-chunked. */
function bodyOf(text: string): string {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return '';
  const head = text.slice(0, end).toLowerCase();
  let rest = text.slice(end + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length !== null) return rest.slice(0, Number(length[1]));
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return rest;
  let body = '';
  for (let i = 0; i < 1_000; i++) {
    const line = rest.indexOf('\r\n');
    if (line === -1) break;
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) break;
    body += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return body;
}

/** A plain GET on a new connection: its status. */
async function freshGet(server: Listening): Promise<number> {
  const { text } = await exchange(server, `GET /check HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  return statusOf(text);
}

interface Poured {
  text: string;
  closed: boolean;
  /** Bytes of body the kernel took before the writing stopped. */
  sent: number;
  /** Why the writing stopped. */
  stopped: 'closed' | 'limit' | 'deadline';
}

/**
 * A chunked POST whose body is written `chunk` bytes at a time with
 * backpressure, `gap` ms apart, until `limit` bytes, `deadline` ms, or the
 * server closes; then the last chunk if `end`; then what came back until the
 * server closed the connection (at most `wait` ms more).
 */
async function pour(
  server: Listening,
  options: { path: string; limit: number; chunk: number; gap?: number; deadline: number; end: boolean; wait?: number },
): Promise<Poured> {
  const socket = await connect(server);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const started = Date.now();
  socket.write(`POST ${options.path} HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
  const frame = Buffer.concat([Buffer.from(`${options.chunk.toString(16)}\r\n`), Buffer.alloc(options.chunk, 0x61), Buffer.from('\r\n')]);
  let sent = 0;
  let stopped: Poured['stopped'] = 'limit';
  while (sent < options.limit) {
    const left = options.deadline - (Date.now() - started);
    if (!socket.writable) {
      stopped = 'closed';
      break;
    }
    if (left <= 0) {
      stopped = 'deadline';
      break;
    }
    if (!socket.write(frame)) {
      const drained = new Promise<void>((resolve) => socket.once('drain', () => resolve()));
      await Promise.race([drained, closed, sleep(left)]);
    }
    if (socket.destroyed) {
      stopped = 'closed';
      break;
    }
    sent += options.chunk;
    if (options.gap !== undefined) await sleep(options.gap);
  }
  if (stopped === 'limit' && options.end && socket.writable) socket.write('0\r\n\r\n');
  const isClosed = await Promise.race([closed.then(() => true), sleep(options.wait ?? 3_000).then(() => false)]);
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed: isClosed, sent, stopped };
}

// ---------------------------------------------------------------- targets

interface Target {
  /** The App served: the echo App, or the edge. */
  app: App;
  server: NodeServer;
  /** What `health()` gives while the target is whole. */
  healthy: unknown;
  health(): Promise<unknown>;
}

const ORIGIN_NAMES = ['origin 1', 'origin 2', 'origin 3'];
const origins: NodeServer[] = [];
const originUrls: string[] = [];
const targets = new Map<string, Target>();
/** Servers a single test started. */
const extra: NodeServer[] = [];
const transports: PooledTransport[] = [];

/** Thirty GETs through the edge, one after the other: their statuses, and how many each origin answered. */
async function spread(url: string): Promise<{ statuses: number[]; perOrigin: number[] }> {
  answered.clear();
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const response = await fetch(`${url}check`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    statuses.push(response?.status ?? 0);
    await response?.arrayBuffer().catch(() => undefined);
  }
  return { statuses, perOrigin: ORIGIN_NAMES.map((origin) => answered.get(origin) ?? 0) };
}

async function edgeTarget(transport: Transport): Promise<Target> {
  const edge = defineEdge({
    transport,
    pools: { app: { servers: originUrls, maxFails: 1, failTimeout: 60_000, responseTimeout: 2_000 } },
    routes: { '/': { proxy: { pool: 'app', clientBodyTimeout: 1_000 } } },
  });
  const server = await serve(edge, TARGET_OPTIONS);
  return {
    app: edge,
    server,
    healthy: { statuses: Array.from({ length: 30 }, () => 200), perOrigin: [10, 10, 10] },
    health: () => spread(server.url),
  };
}

const SERVE = 'serve(app)';
const EDGES: [string, () => Transport][] = [
  ['edge over fetchTransport', () => fetchTransport],
  [
    'edge over http1Transport',
    () => {
      const transport = http1Transport();
      transports.push(transport);
      return transport;
    },
  ],
  [
    'edge over undiciTransport',
    () => {
      const transport = undiciTransport();
      transports.push(transport);
      return transport;
    },
  ],
];
const ALL = [SERVE, ...EDGES.map(([name]) => name)];
const EDGE_NAMES = EDGES.map(([name]) => name);

/** Edge targets say `Request Timeout: <why>`; serve's own 408 says `Request Timeout`. */
const BODY_TIMEOUT_TEXT: Record<string, RegExp> = Object.fromEntries(
  ALL.map((name) => [name, name === SERVE ? /^Request Timeout\n$/ : /^Request Timeout: /]),
);

beforeAll(async () => {
  for (const originName of ORIGIN_NAMES) {
    const origin = await serve(echoApp(originName), { port: 0, gracefulTimeout: 2_000, onError: () => {} });
    origins.push(origin);
    originUrls.push(`http://127.0.0.1:${origin.port}`);
  }
  const echo = echoApp(SERVE);
  const plain = await serve(echo, TARGET_OPTIONS);
  targets.set(SERVE, { app: echo, server: plain, healthy: 200, health: () => freshGet(plain) });
  for (const [name, make] of EDGES) targets.set(name, await edgeTarget(make()));
});

afterAll(async () => {
  for (const socket of open) socket.destroy();
  const servers = [...[...targets.values()].map(({ server }) => server), ...extra];
  await Promise.all(servers.map((server) => server.close()));
  await Promise.all(transports.map((transport) => transport.close()));
  await Promise.all(origins.map((origin) => origin.close()));
});

beforeEach(() => {
  seen.length = 0;
});

afterEach(() => {
  for (const socket of open) socket.destroy();
  open.clear();
});

const target = (name: string): Target => targets.get(name)!;

// ---------------------------------------------------------------- attacks

/** A connection that sends an incomplete header block a few bytes at a time: '408', 'closed' or, past 5 s, 'open'. */
async function slowHeaders(server: Listening): Promise<'408' | 'closed' | 'open'> {
  const socket = await connect(server);
  const started = Date.now();
  const answer = readUntil(socket, 'HTTP/1.1 408').then(
    () => '408' as const,
    () => 'closed' as const,
  );
  const head = `GET /slow HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: ${'a'.repeat(200)}`;
  void (async () => {
    // Three bytes every 100 ms: at most 70 writes, 7 s, and never the blank line.
    for (let i = 0; i < 70 && socket.writable && Date.now() - started < 7_000; i++) {
      socket.write(head.slice(i * 3, i * 3 + 3));
      await sleep(100);
    }
  })();
  const outcome = await Promise.race([answer, sleep(5_000).then(() => 'open' as const)]);
  socket.destroy();
  return outcome;
}

const SMUGGLED = `GET /smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

/** Malformed and smuggling requests, each with a request behind it in the same write. */
const MALFORMED: [string, string][] = [
  [
    'Content-Length with Transfer-Encoding: chunked',
    `POST /attack HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ['two different Content-Length values', `POST /attack HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 48\r\n\r\nhello${SMUGGLED}`],
  ['a bad chunk size', `POST /attack HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['Transfer-Encoding: gzip without chunked', `POST /attack HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: gzip\r\n\r\nhello${SMUGGLED}`],
  ['two Host fields', `GET /attack HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.test\r\n\r\n${SMUGGLED}`],
  [
    'HTTP/1.0 with Transfer-Encoding: chunked and a second request',
    `POST /attack HTTP/1.0\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ['a NUL byte in a header value', `GET /attack HTTP/1.1\r\nHost: ${HOST}\r\nX-Evil: a\0b\r\n\r\n${SMUGGLED}`],
  ['obs-fold (a header line starting with a space)', `GET /attack HTTP/1.1\r\nHost: ${HOST}\r\nX-Evil: a\r\n b\r\n\r\n${SMUGGLED}`],
];

/** A last request with bytes behind it in the same write. */
const LAST_REQUEST: [string, string][] = [
  ['Connection: close', `GET /first HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n${SMUGGLED}`],
  ['HTTP/1.0', `GET /first HTTP/1.0\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}`],
];

describe.each(ALL)('%s against hostile clients', (name) => {
  it('slowloris on headers: 20 connections that never finish their head get 408 or are closed; others are served', async () => {
    const { server, health, healthy } = target(name);
    const slow = Array.from({ length: 20 }, () => slowHeaders(server));
    await sleep(300);
    const meanwhile = await freshGet(server);
    const outcomes = await Promise.all(slow);
    expect(meanwhile).toBe(200);
    expect(outcomes.filter((outcome) => outcome === 'open')).toEqual([]);
    expect(await health()).toEqual(healthy);
  });

  it('slowloris on a body: 10 of 1000 declared bytes, then silence, gets a 408 rather than a silent close', async () => {
    const { server, health, healthy } = target(name);
    const socket = await connect(server);
    const reply = collect(socket, 6_000);
    socket.write(`POST /stall HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1000\r\n\r\n${'a'.repeat(10)}`);
    const { text, closed } = await reply;
    expect(statusOf(text)).toBe(408);
    expect(bodyOf(text)).toMatch(BODY_TIMEOUT_TEXT[name]!);
    expect(closed).toBe(true);
    expect(await health()).toEqual(healthy);
    // One request, one answer: never a second status on the same connection.
    expect(responseCount(text)).toBe(1);
  });

  it('idle flood: 200 silent connections are closed within 5 s, and a GET meanwhile is served', async () => {
    const { server, health, healthy } = target(name);
    const started = Date.now();
    const idle = await Promise.all(Array.from({ length: 200 }, () => connect(server)));
    // Read (and drop) what comes, or the server's end of the connection is never noticed.
    for (const socket of idle) socket.resume();
    let closed = 0;
    const allClosed = Promise.all(idle.map((socket) => new Promise<void>((resolve) => socket.once('close', () => (closed++, resolve())))));
    const meanwhile = await freshGet(server);
    await Promise.race([allClosed, sleep(5_000 - (Date.now() - started))]);
    expect(meanwhile).toBe(200);
    expect(closed).toBe(200);
    expect(await health()).toEqual(healthy);
  });

  it('oversized body: a declared length over the limit gets 413 unread; an endless chunked body 413 and a closed connection', async () => {
    const { server, health, healthy } = target(name);
    const socket = await connect(server);
    const reply = collect(socket, 3_000);
    // Only the head: the answer must not wait for the body it announces.
    socket.write(`POST /declared HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`);
    const declared = await reply;
    expect(statusOf(declared.text)).toBe(413);
    expect(responseCount(declared.text)).toBe(1);
    expect(declared.closed).toBe(true);
    expect(seen).not.toContain('POST /declared');

    const endless = await pour(server, { path: '/endless', limit: 32 * MIB, chunk: 64 * KIB, deadline: 3_000, end: false });
    expect(statusOf(endless.text)).toBe(413);
    expect(responseCount(endless.text)).toBe(1);
    expect(endless.stopped).toBe('closed');
    expect(endless.sent).toBeLessThan(16 * MIB);
    expect(await health()).toEqual(healthy);
  });

  it.each(MALFORMED)('%s: exactly one 400, and the request behind it is never seen', async (_attack, bytes) => {
    const { server, health, healthy } = target(name);
    const { text, closed } = await exchange(server, bytes);
    expect(statusOf(text)).toBe(400);
    expect(responseCount(text)).toBe(1);
    expect(closed).toBe(true);
    expect(await health()).toEqual(healthy);
    expect(seen).not.toContain('GET /smuggled');
  });

  it.each(LAST_REQUEST)('a %s request with another behind it in the same write: one 200, the other never seen', async (_kind, bytes) => {
    const { server, health, healthy } = target(name);
    const { text, closed } = await exchange(server, bytes);
    expect(statusOf(text)).toBe(200);
    expect(bodyOf(text)).toBe('GET /first 0');
    expect(responseCount(text)).toBe(1);
    expect(closed).toBe(true);
    expect(await health()).toEqual(healthy);
    expect(seen).toContain('GET /first');
    expect(seen).not.toContain('GET /smuggled');
  });
});

describe.each(EDGE_NAMES)('%s against clients the origins must not pay for', (name) => {
  it('a chunked body of 512 KiB (no Content-Length) gets 413 four times in a row, and the pool keeps every origin', async () => {
    const { server, health, healthy } = target(name);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { text } = await pour(server, { path: '/upload', limit: 512 * KIB, chunk: 64 * KIB, deadline: 3_000, end: true });
      statuses.push(statusOf(text));
    }
    expect(statuses).toEqual([413, 413, 413, 413]);
    expect(await health()).toEqual(healthy);
  });

  it('a slow uploader (12 × 1 KiB, 300 ms apart: 3.6 s, past responseTimeout) is passed on whole, and the pool keeps every origin', async () => {
    const { app, health, healthy } = target(name);
    // The same edge App (the same pool), on a server whose requestTimeout
    // (the whole request, body included) leaves the 3.6 s upload room: the
    // target's own 2 s would end it with a 408 first (the next test).
    const patient = await serve(app, { ...TARGET_OPTIONS, requestTimeout: 10_000 });
    extra.push(patient);
    const started = Date.now();
    const upload = await pour(patient, { path: '/upload', limit: 12 * KIB, chunk: KIB, gap: 300, deadline: 8_000, end: true });
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expect(upload.stopped).toBe('limit');
    expect(statusOf(upload.text)).toBe(200);
    expect(bodyOf(upload.text)).toBe(`POST /upload ${12 * KIB}`);
    expect(await health()).toEqual(healthy);
  });

  it('the same slow uploader past the edge server\'s requestTimeout (2 s) gets one 408, not a silent close, and the pool keeps every origin', async () => {
    const { server, health, healthy } = target(name);
    const upload = await pour(server, { path: '/upload', limit: 12 * KIB, chunk: KIB, gap: 300, deadline: 8_000, end: true });
    expect(upload.stopped).toBe('closed');
    expect(statusOf(upload.text)).toBe(408);
    expect(responseCount(upload.text)).toBe(1);
    expect(upload.closed).toBe(true);
    expect(await health()).toEqual(healthy);
  });
});
