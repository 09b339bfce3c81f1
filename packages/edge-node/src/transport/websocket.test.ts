import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEdge } from '@gatehouse/edge';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { type NodeServer, serve } from '@gatehouse/node';
import { closeAll, readUntil, socketTo, start } from '../_test-helpers.ts';
import { undiciTransport, type UndiciTransport } from './undici-transport.ts';

/** A WebSocket origin on 127.0.0.1 that echoes, on an HTTP server that also answers plain requests. */
interface Origin {
  readonly url: string;
  readonly wss: WebSocketServer;
  /** The upgrade requests it accepted. */
  readonly handshakes: IncomingMessage[];
  /** Its side of each WebSocket, in order. */
  readonly sockets: WebSocket[];
}

const servers = new Set<Server>();
const clients = new Set<WebSocket>();
const transports: UndiciTransport[] = [];

afterEach(async () => {
  for (const client of clients) client.terminate();
  clients.clear();
  await closeAll();
  await Promise.all(
    [...servers].map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  servers.clear();
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

async function listen(server: Server): Promise<string> {
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function echoOrigin(): Promise<Origin> {
  const http = createServer((req, res) => res.end(`plain ${req.url}`));
  const handshakes: IncomingMessage[] = [];
  const sockets: WebSocket[] = [];
  const wss = new WebSocketServer({
    server: http,
    // Prefer the client's last offer, to show the choice is the origin's.
    handleProtocols: (offered) => [...offered].at(-1) ?? false,
  });
  wss.on('connection', (socket, req) => {
    handshakes.push(req);
    sockets.push(socket);
    socket.on('message', (data: RawData, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  });
  return { url: await listen(http), wss, handshakes, sockets };
}

/** The edge proxying everything to `origin` over undiciTransport, served by `serve`. */
async function edgeTo(origin: string, options: { gracefulTimeout?: number; upgradeIdleTimeout?: number } = {}): Promise<NodeServer> {
  const transport = undiciTransport();
  transports.push(transport);
  const edge = defineEdge({
    pools: { app: { servers: [origin] } },
    transport,
    routes: { '/': { proxy: 'app' } },
  });
  // A test that fails with a WebSocket open must not hold its teardown for the default 30 s.
  return start(edge, { gracefulTimeout: 1_000, ...options });
}

function wsUrl(server: NodeServer, path = ''): string {
  return `${server.url.replace('http:', 'ws:')}${path}`;
}

/** Open a WebSocket; rejects with the status of a refused handshake. */
function open(url: string, protocols?: string[]): Promise<WebSocket> {
  const client = new WebSocket(url, protocols);
  clients.add(client);
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve(client));
    client.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode, body })));
      res.on('error', reject);
    });
    client.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data: RawData, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve({ code: 1006, reason: '' });
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function refusal(url: string): Promise<{ status: number; body: string }> {
  const error = await open(url).then(
    () => new Error('the handshake succeeded'),
    (refused: unknown) => refused,
  );
  return error as { status: number; body: string };
}

describe('WebSocket through serve(edge) and undiciTransport', () => {
  it('closes a tunnel silent for upgradeIdleTimeout, and keeps one that talks', async () => {
    // Long enough that a round trip through edge and origin stays well under it
    // on a loaded machine (at 300 ms, one took longer, and the talking tunnel was cut).
    const idle = 1_000;
    const origin = await echoOrigin();
    const server = await edgeTo(origin.url, { upgradeIdleTimeout: idle });
    const talking = await open(wsUrl(server));
    const opened = performance.now();
    const silent = await open(wsUrl(server));
    let silentCode: number | undefined;
    silent.once('close', (code) => (silentCode = code));
    const talkingCut = closed(talking).then(() => Promise.reject(new Error('the talking tunnel was closed')));
    talkingCut.catch(() => {});
    // The talking one sends again as soon as its echo is back, so it is never quiet for
    // longer than a round trip; it goes on until the silent one (opened after it) was
    // cut, and for three idle periods at least.
    for (let i = 0; silentCode === undefined || performance.now() - opened < 3 * idle; i++) {
      if (performance.now() - opened > 10_000) throw new Error(`the silent tunnel was not cut within 10 s (upgradeIdleTimeout ${idle} ms)`);
      talking.send(`tick ${i}`);
      expect((await Promise.race([nextMessage(talking), talkingCut])).data.toString()).toBe(`tick ${i}`);
    }
    // Cut, not closed with a close frame: 1006.
    expect(silentCode).toBe(1006);
    expect(talking.readyState).toBe(WebSocket.OPEN);
    // The origin's side of the silent one went too.
    await vi.waitFor(() => expect(origin.sockets[1]!.readyState).toBe(WebSocket.CLOSED), { timeout: 5_000 });
  }, 20_000);

  it('echoes text and binary messages both ways, large ones included', async () => {
    const origin = await echoOrigin();
    const client = await open(wsUrl(await edgeTo(origin.url)));

    client.send('hello');
    expect(await nextMessage(client)).toEqual({ data: Buffer.from('hello'), isBinary: false });

    const big = randomBytes(200 * 1024);
    client.send(big);
    const echoed = await nextMessage(client);
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(big)).toBe(true);

    // Several in a row arrive in order.
    const replies: string[] = [];
    const three = new Promise<void>((resolve) =>
      client.on('message', (data: RawData) => {
        replies.push(String(data));
        if (replies.length === 3) resolve();
      }),
    );
    for (const text of ['a', 'b', 'c']) client.send(text);
    await three;
    expect(replies).toEqual(['a', 'b', 'c']);
  });

  it("works for Node's own WebSocket client too", async () => {
    const origin = await echoOrigin();
    const client = new globalThis.WebSocket(wsUrl(await edgeTo(origin.url)));
    await new Promise((resolve, reject) => {
      client.addEventListener('open', resolve, { once: true });
      client.addEventListener('error', reject, { once: true });
    });
    const reply = new Promise<unknown>((resolve) => client.addEventListener('message', (event) => resolve(event.data), { once: true }));
    client.send('from undici');
    expect(await reply).toBe('from undici');
    const closed = new Promise<number>((resolve) => client.addEventListener('close', (event) => resolve(event.code), { once: true }));
    client.close(1000);
    expect(await closed).toBe(1000);
  });

  it('passes the path, the query and X-Forwarded-For to the origin, and the subprotocol back', async () => {
    const origin = await echoOrigin();
    const client = await open(wsUrl(await edgeTo(origin.url), 'chat/room?user=ann'), ['chat.v1', 'chat.v2']);
    expect(client.protocol).toBe('chat.v2');
    const [handshake] = origin.handshakes;
    expect(handshake!.url).toBe('/chat/room?user=ann');
    expect(handshake!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(handshake!.headers['sec-websocket-protocol']).toBe('chat.v1,chat.v2');
  });

  it('closes the origin side when the client closes, with its code and reason', async () => {
    const origin = await echoOrigin();
    const client = await open(wsUrl(await edgeTo(origin.url)));
    client.send('ping');
    await nextMessage(client);
    const originSide = origin.sockets[0]!;
    const originClosed = closed(originSide);
    client.close(4000, 'bye');
    expect(await originClosed).toEqual({ code: 4000, reason: 'bye' });
    expect(await closed(client)).toEqual({ code: 4000, reason: 'bye' });
  });

  it('closes the client side when the origin closes, cleanly or abruptly', async () => {
    const origin = await echoOrigin();
    const edge = await edgeTo(origin.url);
    const first = await open(wsUrl(edge));
    first.send('ping');
    await nextMessage(first);
    const firstClosed = closed(first);
    origin.sockets[0]!.close(4001, 'server bye');
    expect(await firstClosed).toEqual({ code: 4001, reason: 'server bye' });

    const second = await open(wsUrl(edge));
    second.send('ping');
    await nextMessage(second);
    const secondClosed = closed(second);
    origin.sockets[1]!.terminate();
    expect((await secondClosed).code).toBe(1006);
  });

  it('passes on bytes the client sent right behind its handshake', async () => {
    const origin = await echoOrigin();
    const edge = await edgeTo(origin.url);
    const socket = await socketTo(edge);
    // A masked text frame "hi" (mask 0) in the same write as the handshake.
    const frame = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
    socket.write(
      Buffer.concat([
        Buffer.from(
          'GET /raw HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
        frame,
      ]),
    );
    const reply = await readUntil(socket, '\x81\x02hi');
    expect(reply).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(reply.toLowerCase()).toContain('sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=');
    expect(reply.toLowerCase()).toContain('connection: upgrade\r\nupgrade: websocket\r\n');
    socket.destroy();
  });

  it("gives the client the origin's refusal, body included", async () => {
    const forbidding = createServer((_req, res) => res.end('unused'));
    forbidding.on('upgrade', (_req, socket: Socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 10\r\nconnection: close\r\n\r\nforbidden\n');
    });
    const forbidden = await refusal(wsUrl(await edgeTo(await listen(forbidding))));
    expect(forbidden).toMatchObject({ status: 403, body: 'forbidden\n' });

    // An origin that does not speak WebSocket answers the handshake as a plain request.
    const plain = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no sockets here'));
    const missing = await refusal(wsUrl(await edgeTo(await listen(plain))));
    expect(missing).toMatchObject({ status: 404, body: 'no sockets here' });
  });

  it('answers 502 when the origin is down', async () => {
    const gone = createServer();
    const url = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    servers.delete(gone);
    const refused = await refusal(wsUrl(await edgeTo(url)));
    expect(refused.status).toBe(502);
  });

  it('still serves plain requests on the same server', async () => {
    const origin = await echoOrigin();
    const edge = await edgeTo(origin.url);
    const client = await open(wsUrl(edge));
    const response = await fetch(`${edge.url}page?x=1`);
    expect(await response.text()).toBe('plain /page?x=1');
    // curl's `Upgrade: h2c` is not a WebSocket: a plain request, on a connection kept alive.
    const socket = await socketTo(edge);
    socket.write('GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n');
    const h2c = await readUntil(socket, 'plain /h2c');
    expect(h2c).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(h2c.toLowerCase()).toContain('connection: keep-alive');
    socket.destroy();
    client.send('still here');
    expect(String((await nextMessage(client)).data)).toBe('still here');
  });

  it('finishes server.close() with a WebSocket open, cutting it after gracefulTimeout', async () => {
    const origin = await echoOrigin();
    const edge = await edgeTo(origin.url, { gracefulTimeout: 100 });
    const client = await open(wsUrl(edge));
    client.send('ping');
    await nextMessage(client);
    const clientClosed = closed(client);
    const originClosed = closed(origin.sockets[0]!);
    const started = performance.now();
    const closing = edge.close();
    // It waits: the WebSocket still carries messages during the grace period…
    client.send('still here');
    expect((await nextMessage(client)).data.toString()).toBe('still here');
    await closing;
    // …and is cut once gracefulTimeout has passed, not before.
    expect((await clientClosed).code).toBe(1006);
    expect((await originClosed).code).toBe(1006);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('upgrades and the server lifecycle', () => {
  it('cancels the handshake upstream when the client leaves before the answer', async () => {
    const stalled = createServer();
    const arrived = new Promise<Socket>((resolve) =>
      stalled.on('upgrade', (_req, socket: Socket) => {
        // Read, or the proxy's FIN would go unnoticed.
        socket.resume();
        socket.once('end', () => socket.destroy());
        resolve(socket);
      }),
    );
    const edge = await edgeTo(await listen(stalled));
    const client = await socketTo(edge);
    client.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const upstream = await arrived;
    const upstreamClosed = new Promise((resolve) => upstream.once('close', () => resolve('closed')));
    client.destroy();
    await expect(upstreamClosed).resolves.toBe('closed');
  });

  it('lets a drain finish with a WebSocket open, cutting it after gracefulTimeout', async () => {
    const origin = await echoOrigin();
    const transport = undiciTransport();
    transports.push(transport);
    const edge = defineEdge({ pools: { app: { servers: [origin.url] } }, transport, routes: { '/': { proxy: 'app' } } });
    const server = await serve(edge, { port: 0, gracefulTimeout: 100, onError: () => {} });
    const client = await open(wsUrl(server));
    client.send('ping');
    await nextMessage(client);
    const clientClosed = closed(client);
    const started = performance.now();
    const closing = server.close();
    client.send('still here');
    expect((await nextMessage(client)).data.toString()).toBe('still here');
    await closing;
    expect((await clientClosed).code).toBe(1006);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('serves WebSockets over TLS (HTTP/1.1 by ALPN)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-wss-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const origin = await echoOrigin();
    const transport = undiciTransport();
    transports.push(transport);
    const edge = defineEdge({ pools: { app: { servers: [origin.url] } }, transport, routes: { '/': { proxy: 'app' } } });
    const server = await start(edge, { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    const client = new WebSocket(wsUrl(server).replace('ws:', 'wss:'), { ca: readFileSync(join(dir, 'cert.pem')) });
    clients.add(client);
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    client.send('over tls');
    expect(String((await nextMessage(client)).data)).toBe('over tls');
    expect(origin.handshakes[0]!.headers['x-forwarded-proto']).toBe('https');
  });
});
