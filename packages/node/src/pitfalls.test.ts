// Bugs users have hit in peer adapters, each pinned down here.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import type { NodeServer } from './options.ts';
import { SEND_WINDOW } from './_response.ts';
import { closeAll, deferred, readUntil, sleep, socketTo, start } from './_test-helpers.ts';

/** Resolves once the server's side of its next connection has closed: the moment it knows the client left. */
function nextConnectionClosed(server: NodeServer): Promise<void> {
  return new Promise((resolve) => server.server.once('connection', (connection) => connection.once('close', () => resolve())));
}

afterEach(closeAll);

describe('request bodies', () => {
  it('does not hang a keep-alive connection on a POST body the App never read', async () => {
    const server = await start({ fetch: () => new Response('ignored your body') });
    const socket = await socketTo(server);
    const body = 'x'.repeat(300 * 1024);
    socket.write(`POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await readUntil(socket, 'ignored your body');
    socket.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    const second = await readUntil(socket, 'ignored your body');
    expect(second).toMatch(/^HTTP\/1\.1 200 OK/);
    socket.destroy();
  });

  it('keeps a body that arrived whole readable after the client left', async () => {
    const body = deferred<string>();
    const left = deferred();
    const server = await start({
      fetch: async (request) => {
        // Read only once the server knows the client is gone.
        await left.promise;
        body.resolve(await request.text());
        return new Response('late');
      },
    });
    const gone = nextConnectionClosed(server);
    const socket = await socketTo(server);
    const payload = 'all of it '.repeat(1000);
    socket.end(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`);
    socket.destroy();
    await gone;
    left.resolve();
    expect(await body.promise).toBe(payload);
  });

  it('reads a body with text(), json(), arrayBuffer() and bytes(), and refuses a second read', async () => {
    const server = await start({
      fetch: async (request) => {
        const kind = new URL(request.url).searchParams.get('kind');
        let value: unknown;
        if (kind === 'json') value = await request.json();
        else if (kind === 'text') value = await request.text();
        else if (kind === 'arrayBuffer') value = [...new Uint8Array(await request.arrayBuffer())];
        else value = [...(await request.bytes())];
        const used = request.bodyUsed;
        const again = await request.text().then(
          () => 'read twice',
          (error: Error) => error.name,
        );
        const copy = (() => {
          try {
            new Request(request);
            return 'copied';
          } catch (error) {
            return (error as Error).name;
          }
        })();
        return Response.json({ value, used, again, copy });
      },
    });
    const post = async (kind: string, body: string) =>
      (await fetch(`${server.url}?kind=${kind}`, { method: 'POST', body })).json();
    expect(await post('json', '{"a":[1,"é"]}')).toEqual({ value: { a: [1, 'é'] }, used: true, again: 'TypeError', copy: 'TypeError' });
    expect(await post('text', '\uFEFFhé')).toEqual({ value: 'hé', used: true, again: 'TypeError', copy: 'TypeError' });
    expect(await post('arrayBuffer', 'abc')).toEqual({ value: [97, 98, 99], used: true, again: 'TypeError', copy: 'TypeError' });
    expect(await post('bytes', 'abc')).toEqual({ value: [97, 98, 99], used: true, again: 'TypeError', copy: 'TypeError' });
  });

  it('survives an App that reads part of the body and cancels the rest', async () => {
    const server = await start({
      fetch: async (request) => {
        const reader = request.body!.getReader();
        const first = await reader.read();
        await reader.cancel('enough');
        return new Response(`first chunk: ${first.value?.byteLength ?? 0} bytes`);
      },
    });
    const socket = await socketTo(server);
    const body = 'x'.repeat(200 * 1024);
    socket.write(`POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(await readUntil(socket, 'bytes')).toMatch(/^HTTP\/1\.1 200 OK/);
    // The rest of that body is discarded, and the connection serves the next request.
    socket.write('POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    expect(await readUntil(socket, 'first chunk: 3 bytes')).toContain('200 OK');
    socket.destroy();
  });

  it('rejects json() on malformed JSON with a SyntaxError the App can catch', async () => {
    const server = await start({
      fetch: async (request) => {
        try {
          await request.json();
          return new Response('parsed');
        } catch (error) {
          return new Response((error as Error).name, { status: 400 });
        }
      },
    });
    const response = await fetch(server.url, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('SyntaxError');
  });
});

describe('response bodies', () => {
  it('gives a body that is complete at once a Content-Length, and a streaming one chunked framing', async () => {
    const server = await start({
      fetch: (request) =>
        new URL(request.url).pathname === '/stream'
          ? new Response(
              new ReadableStream({
                async start(controller) {
                  controller.enqueue(new TextEncoder().encode('a'));
                  await sleep(20);
                  controller.enqueue(new TextEncoder().encode('b'));
                  controller.close();
                },
              }),
            )
          : new Response('whole'),
    });
    const whole = await fetch(server.url);
    expect(whole.headers.get('content-length')).toBe('5');
    const stream = await fetch(`${server.url}stream`);
    expect(stream.headers.get('transfer-encoding')).toBe('chunked');
    expect(await stream.text()).toBe('ab');
  });

  it('keeps the Content-Length an App declares, HEAD included', async () => {
    const server = await start({
      fetch: () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode('12345'));
              await sleep(10);
              controller.enqueue(new TextEncoder().encode('67890'));
              controller.close();
            },
          }),
          { headers: { 'content-length': '10' } },
        ),
    });
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('10');
    const get = await fetch(server.url);
    expect(get.headers.get('content-length')).toBe('10');
    expect(await get.text()).toBe('1234567890');
  });

  it('survives a response stream whose cancel() throws', async () => {
    const cancelled = deferred();
    const server = await start({
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              await sleep(5);
              controller.enqueue(new Uint8Array(1000));
            },
            cancel() {
              cancelled.resolve();
              throw new Error('cancel failed');
            },
          }),
        ),
    });
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    await cancelled.promise;
    // No unhandled rejection took the process down, and it still serves.
    const stop = new AbortController();
    const again = await fetch(server.url, { signal: stop.signal });
    expect(again.status).toBe(200);
    stop.abort();
  });
});

describe('the Request', () => {
  it('is an instance of the global Request, which is left alone', async () => {
    const globalRequest = globalThis.Request;
    const server = await start({
      fetch: (request) =>
        Response.json({
          instance: request instanceof Request,
          sameGlobal: globalThis.Request === globalRequest,
          responseGlobal: Response.name,
        }),
    });
    expect(await (await fetch(server.url)).json()).toEqual({ instance: true, sameGlobal: true, responseGlobal: 'Response' });
  });

  it('has a signal that is already aborted when read after the client left', async () => {
    const arrived = deferred();
    const left = deferred();
    const result = deferred<boolean>();
    const server = await start({
      fetch: async (request) => {
        arrived.resolve();
        await left.promise;
        // Read, not listened for: the state itself must say the client is gone.
        result.resolve(request.signal.aborted);
        return new Response('too late');
      },
    });
    // The server's side of the connection: its close is the moment the server knows.
    const serverSide = nextConnectionClosed(server);
    const socket = await socketTo(server);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await arrived.promise;
    socket.destroy();
    await serverSide;
    left.resolve();
    expect(await result.promise).toBe(true);
  });
});

describe('GET and HEAD with a body', () => {
  it.each(['GET', 'HEAD'])('serves a %s that carries a body, and the connection goes on', async (method) => {
    const server = await start({ fetch: (request) => new Response(`${request.method} ${request.body === null}`) });
    const socket = await socketTo(server);
    socket.write(`${method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello there`);
    const first = await readUntil(socket, '\r\n\r\n');
    expect(first).toMatch(/^HTTP\/1\.1 200 OK/);
    socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await readUntil(socket, 'GET true')).toContain('GET true');
    socket.destroy();
  });
});

describe('found in review', () => {
  it('reads the original body after clone(), as well as the clone', async () => {
    const server = await start({
      fetch: async (request) => {
        const copy = request.clone();
        return Response.json({ original: await request.text(), clone: await copy.text() });
      },
    });
    const response = await fetch(server.url, { method: 'POST', body: 'hello' });
    expect(await response.json()).toEqual({ original: 'hello', clone: 'hello' });
  });

  it('cancels a streaming answer the App gives after its client left', async () => {
    const cancelled = deferred();
    const answered = deferred();
    let pulls = 0;
    const arrived = deferred();
    const left = deferred();
    const server = await start({
      fetch: async () => {
        arrived.resolve();
        await left.promise;
        answered.resolve();
        return new Response(
          new ReadableStream({
            pull: (controller) => void (pulls++, controller.enqueue(new Uint8Array(1024))),
            cancel: () => cancelled.resolve(),
          }),
        );
      },
    });
    const gone = nextConnectionClosed(server);
    const socket = await socketTo(server);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await arrived.promise;
    socket.destroy();
    await gone;
    left.resolve();
    await answered.promise;
    await cancelled.promise; // the test times out if the stream is left running
    // Cancelled before anything was produced for a client who was gone.
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it('pulls a stream only as fast as its client reads, and cancels it when that client leaves while it waits', async () => {
    const cancelled = deferred();
    let pulled = 0;
    const server = await start({
      fetch: () =>
        new Response(
          new ReadableStream({
            pull: (controller) => {
              pulled += 64 * 1024;
              controller.enqueue(new Uint8Array(64 * 1024));
            },
            cancel: () => cancelled.resolve(),
          }),
        ),
    });
    const gone = nextConnectionClosed(server);
    const responses: ServerResponse[] = [];
    server.server.on('request', (_req: unknown, res: ServerResponse) => responses.push(res));
    const socket = await socketTo(server);
    // A client that reads the head and then nothing more: the kernel's buffers fill, then Node's.
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await readUntil(socket, '\r\n\r\n');
    socket.pause();
    await sleep(300);
    const held = pulled;
    await sleep(300);
    // Backpressure: nothing more was pulled while the client read nothing, and what was is bounded
    // (the socket buffers on both sides, far from the gigabytes an unbounded pump makes in that time).
    expect(pulled).toBe(held);
    expect(held).toBeLessThan(64 * 1024 * 1024);
    // What Node holds for the client: past the send window (the stream stops only then), by at most the chunk that crossed it.
    const waiting = responses[0]!.writableLength;
    expect(waiting).toBeGreaterThan(SEND_WINDOW);
    expect(waiting).toBeLessThanOrEqual(SEND_WINDOW + 64 * 1024);
    socket.destroy();
    await gone;
    await cancelled.promise; // the test times out if the pump, waiting for a drain that never comes, is left behind
  });

  it('keeps the client address for code that asks after the socket closed', async () => {
    const address = deferred<string | undefined>();
    let gone: Promise<void> | undefined;
    const server = await start({
      fetch: (_request, _env, ctx) => {
        ctx.waitUntil(gone!.then(() => address.resolve(ctx.clientAddress)));
        return new Response('bye', { headers: { connection: 'close' } });
      },
    });
    gone = nextConnectionClosed(server);
    await (await fetch(server.url, { headers: { connection: 'close' } })).text();
    expect(await address.promise).toBe('127.0.0.1');
  });
});
