// Request bodies spilled to temp files, over real sockets: a client's
// upload past memory is read whole into a file of a folder the test owns,
// goes to the origin from there with its Content-Length (again on a
// retry), and the file is gone afterwards, however the exchange ended.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request as httpRequest, type ClientRequest, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@gatehouse/test-support/sockets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineEdge, type NodeEdgeApp } from './define-edge.ts';
import { fileSpill } from './file-spill.ts';
import { closeAll, deferred, sleep, start, within } from './_test-helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

let dir = '';
let origin: Server;
let originPort = 0;
/** Requests the origin has begun to receive, by path, and the bodies it received whole. */
const arrived = new Set<string>();
const received: Received[] = [];
/** A server that takes part of a body and then drops the connection. */
let dropper: TcpServer;
let dropperPort = 0;
let edge: NodeEdgeApp;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-spill-test-'));
  origin = createServer((req, res) => {
    arrived.add(req.url!);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.end(`got ${body.length}`);
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originPort = (origin.address() as { port: number }).port;
  dropper = createTcpServer((socket) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got > 256 * KiB) socket.destroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  dropperPort = (dropper.address() as { port: number }).port;
  const originUrl = `http://127.0.0.1:${originPort}`;
  const spilling = { request: 64 * KiB, requestFile: 8 * MiB };
  edge = defineEdge({
    bodySpill: fileSpill({ dir }),
    pools: {
      app: { servers: [originUrl] },
      // The first server is tried first: the second is a backup.
      refused: { servers: [`http://127.0.0.1:${await freePort()}`, { url: originUrl, backup: true }] },
      dropping: { servers: [`http://127.0.0.1:${dropperPort}`, { url: originUrl, backup: true }] },
    },
    routes: {
      '/spill/': { proxy: { pool: 'app', buffering: spilling } },
      '/bounded/': { proxy: { pool: 'app', buffering: { request: 64 * KiB, requestFile: 1 * MiB } } },
      '/refused/': { proxy: { pool: 'refused', buffering: spilling } },
      '/dropping/': { proxy: { pool: 'dropping', buffering: spilling } },
      '/limited/': { proxy: { pool: 'app', buffering: spilling }, maxBodySize: 2 * MiB },
      '/stalled/': { proxy: { pool: 'app', buffering: spilling, clientBodyTimeout: 300 } },
    },
  });
});

afterEach(async () => {
  await closeAll();
  arrived.clear();
  received.length = 0;
  // A test that failed may have left a file: the next test starts from an empty folder all the same.
  for (const name of await readdir(dir)) await rm(join(dir, name), { force: true });
});

afterAll(async () => {
  await edge.close();
  origin.closeAllConnections();
  await new Promise((resolve) => origin.close(resolve));
  await new Promise((resolve) => dropper.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** The spill folder's files. */
const spilled = (): Promise<string[]> => readdir(dir);

/** Resolves once `check` holds; the bound is generous, since only a failure reaches it. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await within(
    (async () => {
      while (!(await check())) await sleep(5);
    })(),
    10_000,
    what,
  );
}

interface Upload {
  readonly request: ClientRequest;
  /** Write `bytes` and wait until the socket has taken them. */
  send(bytes: Uint8Array): Promise<void>;
  /** The answer: status and body; rejects if the connection broke first. */
  readonly answer: Promise<{ status: number; body: string }>;
}

/** A chunked upload (no Content-Length) sent piece by piece, as the test says. */
function upload(port: number, path: string, method = 'POST'): Upload {
  const answer = deferred<{ status: number; body: string }>();
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const request = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => answer.resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
  });
  request.on('error', (error) => fail(error));
  return {
    request,
    send: (bytes) => new Promise((resolve, reject) => request.write(bytes, (error) => (error ? reject(error) : resolve()))),
    answer: Promise.race([answer.promise, failed]),
  };
}

describe('request bodies spilled to a file', { timeout: 30_000 }, () => {
  it('reads a 5 MiB upload into a temp file before the origin hears of it, sends it with its length, and removes the file', async () => {
    const server = await start(edge);
    const body = randomBytes(5 * MiB);
    const client = upload(server.port, '/spill/upload');
    await client.send(body.subarray(0, 1 * MiB));
    await until(async () => (await spilled()).length === 1, 'a temp file while the upload is under way');
    expect(arrived.size).toBe(0);
    for (let at = 1 * MiB; at < body.length; at += 1 * MiB) await client.send(body.subarray(at, at + 1 * MiB));
    client.request.end();
    expect(await client.answer).toEqual({ status: 200, body: `got ${body.length}` });
    expect(received).toHaveLength(1);
    expect(received[0]!.body.equals(body)).toBe(true);
    expect(received[0]!.headers['content-length']).toBe(String(body.length));
    expect(received[0]!.headers['transfer-encoding']).toBeUndefined();
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
  });

  it('holds no origin connection while a slow uploader trickles its body into the file', async () => {
    const server = await start(edge);
    const connections = (): Promise<number> => new Promise((resolve, reject) => origin.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    // Idle ones kept from earlier tests may be there, or may have ended since.
    const before = await connections();
    const client = upload(server.port, '/spill/trickle');
    const body = randomBytes(128 * KiB + 20);
    await client.send(body.subarray(0, 128 * KiB));
    await until(async () => (await spilled()).length === 1, 'a temp file while the upload is under way');
    for (let at = 128 * KiB; at < body.length; at++) {
      await sleep(10);
      await client.send(body.subarray(at, at + 1));
    }
    expect(await connections()).toBeLessThanOrEqual(before);
    expect(arrived.size).toBe(0);
    client.request.end();
    expect((await client.answer).status).toBe(200);
    expect(received[0]!.body.equals(body)).toBe(true);
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
  });

  it('sends the whole spilled body again to the next server after a refused connection', async () => {
    const server = await start(edge);
    const body = randomBytes(3 * MiB);
    const client = upload(server.port, '/refused/upload');
    await client.send(body);
    client.request.end();
    expect(await client.answer).toEqual({ status: 200, body: `got ${body.length}` });
    expect(received).toHaveLength(1);
    expect(received[0]!.body.equals(body)).toBe(true);
    expect(received[0]!.headers['content-length']).toBe(String(body.length));
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
  });

  it('reads the file again for a PUT whose first server took part of it and dropped the connection', async () => {
    const server = await start(edge);
    const body = randomBytes(3 * MiB);
    const client = upload(server.port, '/dropping/upload', 'PUT');
    await client.send(body);
    client.request.end();
    // Streamed, a body the first server had begun to read could not be sent again.
    expect(await client.answer).toEqual({ status: 200, body: `got ${body.length}` });
    expect(received.map(({ method, body: got }) => [method, got.equals(body)])).toEqual([['PUT', true]]);
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
  });

  it('removes the file when the client leaves mid-upload, and the origin hears nothing', async () => {
    const server = await start(edge);
    const client = upload(server.port, '/spill/abandoned');
    client.answer.catch(() => {});
    await client.send(randomBytes(1 * MiB));
    await until(async () => (await spilled()).length === 1, 'a temp file while the upload is under way');
    client.request.destroy();
    await until(async () => (await spilled()).length === 0, 'the temp file removed after the client left');
    expect(arrived.size).toBe(0);
  });

  it('removes the file when the body passes maxBodySize (413)', async () => {
    const server = await start(edge);
    const client = upload(server.port, '/limited/upload');
    await client.send(randomBytes(1 * MiB));
    await until(async () => (await spilled()).length === 1, 'a temp file while the upload is under way');
    // The answer may come, and the connection close, while this is being written.
    client.send(randomBytes(2 * MiB)).catch(() => {});
    expect((await client.answer).status).toBe(413);
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
    expect(arrived.size).toBe(0);
  });

  it('removes the file when the client stalls past clientBodyTimeout (408)', async () => {
    const server = await start(edge);
    const client = upload(server.port, '/stalled/upload');
    await client.send(randomBytes(1 * MiB));
    await until(async () => (await spilled()).length === 1, 'a temp file while the upload is under way');
    expect((await client.answer).status).toBe(408);
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
    client.request.destroy();
    expect(arrived.size).toBe(0);
  });

  it('streams a body past memory and file bounds as before: the file, then the rest, while the client still sends', async () => {
    const server = await start(edge);
    const body = randomBytes(3 * MiB);
    const client = upload(server.port, '/bounded/upload');
    await client.send(body.subarray(0, 2 * MiB));
    // Past 1 MiB the origin is asked, though the client has not finished.
    await until(() => arrived.has('/bounded/upload'), 'the origin asked before the body ended');
    await client.send(body.subarray(2 * MiB));
    client.request.end();
    expect(await client.answer).toEqual({ status: 200, body: `got ${body.length}` });
    expect(received[0]!.body.equals(body)).toBe(true);
    expect(received[0]!.headers['content-length']).toBeUndefined();
    await until(async () => (await spilled()).length === 0, 'the temp file removed');
  });
});
