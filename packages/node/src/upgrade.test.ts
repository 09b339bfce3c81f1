import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { closeAll, rawExchange, readUntil, socketTo, start } from './_test-helpers.ts';
import { serveWithState } from './serve.ts';
import { upgradedResponse } from './upgraded-response.ts';

afterEach(closeAll);

describe('upgrade requests to Apps', () => {
  const handshake =
    'GET /ws HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

  it('writes an ordinary answer and closes the connection', async () => {
    const seen: string[] = [];
    const server = await start({
      fetch(request) {
        seen.push(`${request.method} ${request.url} ${request.headers.get('upgrade')}`);
        return new Response('no upgrades here', { headers: { 'x-app': 'plain' } });
      },
    });
    const reply = await rawExchange(server, handshake);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply.toLowerCase()).toContain('x-app: plain\r\n');
    expect(reply.toLowerCase()).toContain('connection: close\r\n');
    expect(reply).toMatch(/\r\n\r\n10\r\nno upgrades here\r\n0\r\n\r\n$/);
    expect(seen).toEqual(['GET http://example.test/ws websocket']);
  });

  it('answers 500 when the App fails, and reports it', async () => {
    const errors: unknown[] = [];
    const server = await start(
      {
        fetch() {
          throw new Error('boom');
        },
      },
      { onError: (error) => errors.push(error) },
    );
    const reply = await rawExchange(server, handshake);
    expect(reply).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n[\s\S]*\r\n\r\nInternal Server Error\n$/);
    expect(errors).toHaveLength(1);
  });

  it('answers 504 when the App does not answer within handlerTimeout', async () => {
    const errors: unknown[] = [];
    const server = await start({ fetch: () => new Promise<Response>(() => {}) }, { handlerTimeout: 50, onError: (error) => errors.push(error) });
    const reply = await rawExchange(server, handshake);
    expect(reply).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    expect(errors).toHaveLength(1);
  });

  it('tunnels to a socket an App hands over with upgradedResponse', async () => {
    // The App speaks the other protocol itself here: a line echo over a raw TCP connection.
    const lines = createNetServer((socket) => socket.on('data', (chunk) => socket.write(`echo:${chunk}`)));
    await new Promise<void>((resolve) => lines.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => lines.close(() => resolve())));
    const { port } = lines.address() as AddressInfo;
    const server = await start({
      fetch: () => upgradedResponse(connect(port, '127.0.0.1'), new TextEncoder().encode('ready\n'), { 'x-tunnel': 'lines' }),
    });
    const socket = await socketTo(server);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    const head = await readUntil(socket, 'ready\n');
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nx-tunnel: lines\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\nready\n$/);
    socket.write('one');
    expect(await readUntil(socket, 'echo:one')).toContain('echo:one');
    socket.destroy();
  });

  it('lets a drain finish with a tunnel open, cutting it after gracefulTimeout', async () => {
    const lines = createNetServer((socket) => socket.on('data', (chunk) => socket.write(`echo:${chunk}`)));
    await new Promise<void>((resolve) => lines.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => lines.close(() => resolve())));
    const { port } = lines.address() as AddressInfo;
    const served = await serveWithState({ fetch: () => upgradedResponse(connect(port, '127.0.0.1')) }, { port: 0, gracefulTimeout: 100, onError: () => {} });
    const socket = await socketTo(served.server);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await readUntil(socket, '\r\n\r\n');
    socket.write('one');
    await readUntil(socket, 'echo:one');
    const cut = new Promise((resolve) => socket.once('close', () => resolve('cut')));
    const started = performance.now();
    const draining = served.drain();
    // It waits: the tunnel still carries data during the grace period…
    socket.write('two');
    await readUntil(socket, 'echo:two');
    await draining;
    // …and is cut once gracefulTimeout has passed, not before.
    await expect(cut).resolves.toBe('cut');
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });
});
