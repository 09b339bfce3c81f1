// What serve() does with requests RFC 9112 forbids or bounds, compared with
// nginx on the same bytes: each answered with a status, never a silent close,
// and never handed to the App.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, rawExchange, readUntil, sleep, socketTo, start } from './_test-helpers.ts';

afterEach(closeAll);

/** An App that answers after a moment, so that what follows the request arrives while it is in flight. */
const slowHello = { fetch: async () => (await sleep(20), new Response('first answered')) };

describe('bytes after the last request of a connection', () => {
  it('answers a request with Connection: close that more bytes follow in the same write', async () => {
    const server = await start(slowHello);
    for (let i = 0; i < 3; i++) {
      const reply = await rawExchange(server, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(reply).toMatch(/\r\n\r\nfirst answered$/);
    }
  });

  it('answers an HTTP/1.0 request that a second request follows', async () => {
    const server = await start(slowHello);
    const reply = await rawExchange(server, 'GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).toMatch(/\r\n\r\nfirst answered$/);
  });
});

describe('framing and fields RFC 9112 refuses', () => {
  it('answers 400 to a request with two Host fields, as nginx does, without calling the App', async () => {
    const calls = vi.fn<() => void>();
    const server = await start({ fetch: () => (calls(), new Response('hello')) });
    const reply = await rawExchange(server, 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(calls).not.toHaveBeenCalled();
  });

  it('answers 400 and closes on HTTP/1.0 with Transfer-Encoding (RFC 9112 §6.1)', async () => {
    const calls = vi.fn<() => void>();
    const server = await start({ fetch: () => (calls(), new Response('hello')) });
    // Without the close, the bytes below would be served as a second request.
    const reply = await rawExchange(server, 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(calls).not.toHaveBeenCalled();
  });

  it('answers CONNECT with 501 rather than a closed socket', async () => {
    const server = await start({ fetch: () => new Response('hello') });
    const reply = await rawExchange(server, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(reply).toMatch(/connection: close\r\n/i);
  });

  it('answers 400 to a transfer coding other than chunked last', async () => {
    const server = await start({ fetch: () => new Response('hello') });
    const reply = await rawExchange(server, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('answers 400 to a bad chunk size, even with the App waiting for the body', async () => {
    const server = await start({ fetch: async (request) => new Response(await request.text()) });
    const reply = await rawExchange(server, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});

describe('slow clients', () => {
  it('answers 408 to a body that is not complete within requestTimeout', async () => {
    const server = await start({ fetch: async (request) => new Response(await request.text()) }, { requestTimeout: 300, headersTimeout: 300 });
    const socket = await socketTo(server);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    const reply = await readUntil(socket, '\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    socket.destroy();
  });

  it('checks the timeouts often enough that the default headersTimeout holds within two seconds', async () => {
    // Node checks every 30 s unless told: a 30 s headersTimeout then closes at up to 60 s.
    const server = await start({ fetch: () => new Response('hello') }, { headersTimeout: 1_000, requestTimeout: 1_000 });
    const socket = await socketTo(server);
    const started = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const reply = await readUntil(socket, '\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(3_000);
    socket.destroy();
  });
});

describe('bodies the App never reads', () => {
  it.each([
    ['POST', '200 OK', 'not reading that'],
    ['GET', '200 OK', 'not reading that'],
    ['TRACE', '501 Not Implemented', 'Not Implemented\n'],
  ])('stops reading an endless %s body after the answer (%s), past maxBodySize', async (method, status, body) => {
    // nginx stops after lingering_time; Node alone reads it for ever (22.5 GB in 40 s, measured).
    const server = await start({ fetch: () => new Response('not reading that') }, { maxBodySize: 1024 * 1024 });
    const socket = await socketTo(server);
    socket.on('error', () => {});
    socket.write(`${method} / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    // Bounded: at most 64 MiB, or 10 s.
    const deadline = Date.now() + 10_000;
    while (open && sent < 64 * 1024 * 1024 && Date.now() < deadline) {
      if (!socket.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 1));
      sent += 0x10000;
      if (sent % (1024 * 1024) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.race([closed, sleep(2_000)]);
    expect(open).toBe(false);
    expect(answer.slice(0, status.length + 11)).toBe(`HTTP/1.1 ${status}\r\n`);
    expect(answer.endsWith(`\r\n\r\n${body}`)).toBe(true);
    // What the socket buffers on both sides hold, beyond the 1 MiB read.
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});
