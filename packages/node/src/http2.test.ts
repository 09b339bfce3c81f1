import { once } from 'node:events';
import { connect, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
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
