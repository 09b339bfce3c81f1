import { once } from 'node:events';
import { connect, constants, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createListener } from './listener.ts';

let server: Http2Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

it('serves an App over HTTP/2 through createListener', async () => {
  server = createServer(
    createListener({
      async fetch(request, _env, ctx) {
        const headers = new Headers({ 'content-type': 'application/json' });
        headers.append('set-cookie', 'a=1; Path=/');
        headers.append('set-cookie', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
        return new Response(
          JSON.stringify({
            method: request.method,
            url: request.url,
            cookie: request.headers.get('cookie'),
            body: request.method === 'POST' ? await request.text() : null,
            address: ctx.clientAddress,
          }),
          { headers },
        );
      },
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const client = connect(`http://127.0.0.1:${port}`);
  try {
    const request = client.request({
      ':method': 'POST',
      ':path': '/h2?x=1',
      cookie: ['a=1', 'b=2'],
    });
    request.end('over h2');
    const [headers] = (await once(request, 'response')) as [Record<string, string | string[]>];
    let text = '';
    for await (const chunk of request) text += chunk;
    expect(headers[':status']).toBe(200);
    expect(headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
    expect(JSON.parse(text)).toEqual({
      method: 'POST',
      url: `http://127.0.0.1:${port}/h2?x=1`,
      cookie: 'a=1; b=2',
      body: 'over h2',
      address: '127.0.0.1',
    });
  } finally {
    client.close();
  }
});

describe('a client that resets its stream', () => {
  async function h2(app: Parameters<typeof createListener>[0]) {
    server = createServer(createListener(app, { onError: () => {} }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  it('fails the body read when the connection drops mid-body, rather than hand over a truncated body', async () => {
    let outcome!: (value: string) => void;
    const seen = new Promise<string>((resolve) => (outcome = resolve));
    const client = await h2({
      fetch: async (request) => {
        try {
          outcome(`read ${(await request.text()).length}`);
        } catch (error) {
          outcome((error as Error).name);
        }
        return new Response('x');
      },
    });
    try {
      const request = client.request({ ':method': 'POST', ':path': '/' });
      request.on('error', () => {});
      request.write('partial-');
      // Gone without END_STREAM (closing the stream would end it first).
      setTimeout(() => client.destroy(), 50);
      expect(await seen).toBe('ClientAbortedError');
    } finally {
      client.close();
    }
  });

  it('aborts the signal and cancels the response stream', async () => {
    let aborted!: () => void;
    let cancelled!: () => void;
    const signalled = new Promise<void>((resolve) => (aborted = resolve));
    const stopped = new Promise<void>((resolve) => (cancelled = resolve));
    const client = await h2({
      fetch: (request) => {
        request.signal.addEventListener('abort', () => aborted());
        return new Response(
          new ReadableStream({
            pull: (controller) => new Promise((resolve) => setTimeout(resolve, 10)).then(() => controller.enqueue(new Uint8Array(100))),
            cancel: () => cancelled(),
          }),
        );
      },
    });
    try {
      const request = client.request({ ':path': '/' });
      request.on('error', () => {});
      await once(request, 'data');
      request.close(constants.NGHTTP2_CANCEL);
      await Promise.all([signalled, stopped]); // the test times out if either never comes
      expect(await Promise.all([signalled, stopped])).toEqual([undefined, undefined]);
    } finally {
      client.close();
    }
  });
});
