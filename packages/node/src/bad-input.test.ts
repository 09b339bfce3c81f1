import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, deferred, rawExchange, readUntil, socketTo, start } from './_test-helpers.ts';

afterEach(closeAll);

const hello = { fetch: () => new Response('hello') };

describe('malformed requests', () => {
  it('answers a broken request line with 400 and a reason, and keeps serving', async () => {
    const server = await start(hello);
    const reply = await rawExchange(server, 'GARBAGE\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toMatch(/\r\n\r\nBad Request\n$/);
    expect(await (await fetch(server.url)).text()).toBe('hello');
  });

  it.each([['evil.example/path'], ['a b'], ['user@host'], ['host\\x']])(
    'answers 400 to the Host header %j rather than build a URL from it',
    async (host) => {
      const calls = vi.fn<(url?: string) => void>();
      const server = await start({ fetch: (r) => (calls(r.url), new Response('hello')) });
      const reply = await rawExchange(server, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(calls).not.toHaveBeenCalled();
    },
  );

  it('answers oversized headers with 431', async () => {
    const server = await start(hello);
    const reply = await rawExchange(server, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('answers a client too slow with its headers with 408', async () => {
    const server = await start(hello, {
      headersTimeout: 200,
      requestTimeout: 200,
      serverOptions: { connectionsCheckingInterval: 50 },
    });
    const socket = await socketTo(server);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const reply = await readUntil(socket, '\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    socket.destroy();
  });

  it('answers methods a Request cannot carry with 501', async () => {
    const server = await start(hello);
    const reply = await rawExchange(server, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 501 /);
  });

  it('takes an absolute-form target for its path and authority', async () => {
    const server = await start({ fetch: (r) => new Response(r.url) });
    const reply = await rawExchange(
      server,
      'GET http://example.test/a/b?c=1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n',
    );
    expect(reply).toMatch(/\r\n\r\nhttp:\/\/example\.test\/a\/b\?c=1$/);
  });

  it('takes only the authority from an absolute-form target, never its scheme', async () => {
    const server = await start({ fetch: (r) => new Response(r.url) });
    const reply = await rawExchange(server, 'GET https://bank.example/admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply).toMatch(/\r\n\r\nhttp:\/\/bank\.example\/admin$/);
    const bad = await rawExchange(server, 'GET http://user@evil.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('gives a request without Host (HTTP/1.0) the address it came in on', async () => {
    const server = await start({ fetch: (r) => new Response(r.url) });
    const reply = await rawExchange(server, 'GET /x HTTP/1.0\r\n\r\n');
    expect(reply).toContain(`\r\n\r\nhttp://127.0.0.1:${server.port}/x`);
  });
});

describe('bodies over the limit', () => {
  it('answers 413 to a declared length over the limit without reading the body', async () => {
    const calls = vi.fn<(url?: string) => void>();
    const server = await start({ fetch: () => (calls(), new Response('read')) }, { maxBodySize: 1024 });
    const socket = await socketTo(server);
    // Only the head is sent: the answer must not wait for the 10 MB that were announced.
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n');
    const reply = await readUntil(socket, 'Content Too Large\n');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(calls).not.toHaveBeenCalled();
    socket.destroy();
  });

  it('refuses Expect: 100-continue over the limit before the client sends anything', async () => {
    const server = await start(hello, { maxBodySize: 1024 });
    const socket = await socketTo(server);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    const reply = await readUntil(socket, 'Content Too Large\n');
    expect(reply).not.toContain('100 Continue');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });

  it('sends 100 Continue for an accepted body', async () => {
    const server = await start({ fetch: async (r) => new Response(`got ${(await r.text()).length}`) });
    const socket = await socketTo(server);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await readUntil(socket, '100 Continue\r\n\r\n');
    socket.write('hello');
    expect(await readUntil(socket, 'got 5')).toMatch(/HTTP\/1\.1 200 OK/);
    socket.destroy();
  });

  it('answers 413 when a chunked body grows past the limit while the App reads it', async () => {
    const read = deferred<string>();
    const server = await start(
      {
        fetch: async (r) => {
          try {
            return new Response(await r.text());
          } catch (error) {
            read.resolve((error as Error).name);
            throw error;
          }
        },
      },
      { maxBodySize: 1000 },
    );
    const socket = await socketTo(server);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 3; i++) socket.write(`258\r\n${'a'.repeat(600)}\r\n`);
    const reply = await readUntil(socket, 'Content Too Large\n');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(await read.promise).toBe('BodyTooLargeError');
    socket.destroy();
  });

  it('closes the connection when the App answers a body it refused for its size, rather than drain it', async () => {
    const server = await start(
      {
        fetch: async (r) => {
          try {
            await r.text();
            return new Response('read');
          } catch {
            return new Response('too big, say I', { status: 400 });
          }
        },
      },
      { maxBodySize: 1000 },
    );
    const socket = await socketTo(server);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.write(`7d0\r\n${'a'.repeat(2000)}\r\n`);
    const reply = await readUntil(socket, 'too big, say I');
    expect(reply.toLowerCase()).toContain('connection: close');
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('lets a body at the limit through', async () => {
    const server = await start({ fetch: async (r) => new Response(String((await r.bytes()).length)) }, { maxBodySize: 1000 });
    const response = await fetch(server.url, { method: 'POST', body: 'a'.repeat(1000) });
    expect(await response.text()).toBe('1000');
  });
});

describe('App failures', () => {
  it('answers 500 with no detail, reports the error to the hook, and keeps serving', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    let fail = true;
    const server = await start(
      {
        fetch: () => {
          if (fail) throw new Error('database password is hunter2');
          return new Response('fine');
        },
      },
      { onError },
    );
    const response = await fetch(server.url);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toBe('Internal Server Error\n');
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as Error).message).toBe('database password is hunter2');
    fail = false;
    expect(await (await fetch(server.url)).text()).toBe('fine');
  });

  it('survives an onError hook that throws', async () => {
    const server = await start(
      { fetch: () => Promise.reject(new Error('app')) },
      {
        onError: () => {
          throw new Error('the hook broke too');
        },
      },
    );
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect((await fetch(server.url)).status).toBe(500);
      expect((await fetch(server.url)).status).toBe(500);
    } finally {
      log.mockRestore();
    }
  });

  it('answers 500 when the App returns something that is not a Response', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const server = await start({ fetch: () => 'not a response' as unknown as Response }, { onError });
    expect((await fetch(server.url)).status).toBe(500);
    expect(String(onError.mock.calls[0]![0])).toMatch(/returned string instead of a Response/);
  });

  it('cuts the connection when the body stream fails after the head went out', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    let sent = false;
    const server = await start(
      {
        fetch: () =>
          new Response(
            new ReadableStream({
              async pull(controller) {
                if (!sent) {
                  sent = true;
                  controller.enqueue(new TextEncoder().encode('partial'));
                  return;
                }
                await new Promise((resolve) => setTimeout(resolve, 20));
                controller.error(new Error('upstream broke'));
              },
            }),
          ),
      },
      { onError },
    );
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow('terminated');
    expect((onError.mock.calls[0]![0] as Error).message).toBe('upstream broke');
  });

  it('lets no header be injected through a value or a status text', async () => {
    const server = await start({
      fetch: (r) => {
        const how = new URL(r.url).searchParams.get('how');
        if (how === 'header') return new Response('x', { headers: { 'x-a': 'a\r\nx-injected: 1' } });
        return new Response('x', { statusText: 'OK\r\nx-injected: 1' });
      },
    });
    for (const how of ['header', 'status']) {
      const reply = await rawExchange(server, `GET /?how=${how} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(reply.toLowerCase()).not.toContain('x-injected');
      expect(reply).toMatch(/^HTTP\/1\.1 500 /);
    }
  });

  it("drops the App's hop-by-hop headers and keeps the framing Node's", async () => {
    const server = await start({
      fetch: () =>
        new Response('body', {
          headers: { connection: 'upgrade', 'transfer-encoding': 'gzip', 'keep-alive': 'timeout=999', upgrade: 'h2c', 'x-kept': '1' },
        }),
    });
    const reply = await rawExchange(server, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const head = reply.slice(0, reply.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toContain('x-kept: 1');
    expect(head).not.toMatch(/transfer-encoding|upgrade|timeout=999/);
    expect(head).toContain('content-length: 4');
    expect(reply.endsWith('\r\n\r\nbody')).toBe(true);
  });
});
