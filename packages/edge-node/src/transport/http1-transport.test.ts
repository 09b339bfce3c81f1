import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, Server as TlsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { takeWholeBody } from '@gatehouse/node';
import { http1Transport, type Http1Transport } from './http1-transport.ts';

const servers: (Server | NetServer | TlsServer)[] = [];
const transports: Http1Transport[] = [];
const options = { connectTimeout: 1_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined };

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  for (const server of servers.splice(0)) {
    (server as Server).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

function transport(): Http1Transport {
  const made = http1Transport();
  transports.push(made);
  return made;
}

async function listen<T extends Server | NetServer | TlsServer>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `${server instanceof TlsServer ? 'https' : 'http'}://127.0.0.1:${port}`;
}

/** An origin that answers every request on a connection with the raw bytes given. */
async function rawOrigin(answer: string): Promise<string> {
  return listen(
    createNetServer((socket) => {
      socket.on('data', (data) => {
        if (data.includes('\r\n\r\n')) socket.write(answer, 'latin1');
      });
      socket.on('error', () => {});
    }),
  );
}

const get = (url: string) => ({ method: 'GET', url, headers: ['host', 'x'], body: null });

describe('http1Transport', () => {
  it('decodes a chunked answer, drops its hop-by-hop fields, and hands a small whole answer over unread', async () => {
    const url = await rawOrigin(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: x-private\r\nX-Private: 1\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    const response = await transport()(get(`${url}/`), options);
    expect([...response.headers]).toEqual([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    // It came in one read: the adapter can send its bytes without reading the stream.
    expect(new TextDecoder().decode(takeWholeBody(response.body!))).toBe('abcde');
  });

  it('answers a HEAD request without waiting for a body', async () => {
    const url = await rawOrigin('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    const response = await transport()({ ...get(`${url}/`), method: 'HEAD' }, options);
    expect([response.status, response.headers.get('content-length'), response.body]).toEqual([200, '1234', null]);
  });

  it('fails a malformed answer as a reset, never passing it on', async () => {
    for (const answer of [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\nX-Split: a\nInjected: yes\r\nContent-Length: 0\r\n\r\n',
      'ICY 200 OK\r\n\r\n',
    ]) {
      const url = await rawOrigin(answer);
      const failure = await transport()(get(`${url}/`), options).catch((error: unknown) => error);
      expect(failure, answer).toMatchObject({ name: 'TransportError', kind: 'reset', bodySent: false });
    }
  });

  it('errors the body of an answer cut short, rather than ending it as if whole', async () => {
    const url = await listen(
      createNetServer((socket) => {
        socket.on('data', () => {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part');
          setTimeout(() => socket.destroy(), 20);
        });
      }),
    );
    const response = await transport()(get(`${url}/`), options);
    await expect(response.text()).rejects.toThrow(/closed before the response was complete|terminated|aborted/);
  });

  it('sends a GET again on a new connection when the kept-alive one was closed by the server', async () => {
    const sockets: Socket[] = [];
    const server = createServer((req, res) => res.end(`via ${req.socket.remotePort}`));
    server.on('connection', (socket) => sockets.push(socket));
    const url = await listen(server);
    const send = transport();
    const first = await (await send(get(`${url}/`), options)).text();
    // The server drops the idle connection without the client having seen it go yet.
    for (const socket of sockets) socket.destroy();
    const second = await (await send(get(`${url}/`), options)).text();
    expect(first).toMatch(/^via \d+$/);
    expect(second).toMatch(/^via \d+$/);
    expect(second).not.toBe(first);
  });

  it('speaks to https servers, trusting the CA it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-http1-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const key = readFileSync(join(dir, 'key.pem'), 'utf8');
      const url = await listen(createTlsServer({ cert, key }, (_req, res) => res.end('secure')));
      const trusting = http1Transport({ ca: cert });
      transports.push(trusting);
      expect(await (await trusting(get(`${url}/`), options)).text()).toBe('secure');
      // Without it, the self-signed certificate is refused.
      const failure = await transport()(get(`${url}/`), options).catch((error: unknown) => error);
      expect(failure).toMatchObject({ name: 'TransportError' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends a POST only once, even when its kept-alive connection turns out closed', async () => {
    const sockets: Socket[] = [];
    let posts = 0;
    const server = createServer((req, res) => {
      if (req.method === 'POST') posts++;
      res.end('ok');
    });
    server.on('connection', (socket) => sockets.push(socket));
    const url = await listen(server);
    const send = transport();
    await (await send(get(`${url}/`), options)).text();
    for (const socket of sockets) socket.destroy();
    const failure = await send({ ...get(`${url}/`), method: 'POST' }, options).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TransportError', kind: 'reset' });
    expect(posts).toBe(0);
  });

  it('refuses a request line that could be split, before connecting', async () => {
    const send = transport();
    for (const request of [
      { ...get('http://127.0.0.1:1/a b') },
      { ...get('http://127.0.0.1:1/a\r\nX-Injected: 1') },
      { ...get('http://127.0.0.1:1/'), method: 'GET /other HTTP/1.1\r\n' },
    ]) {
      await expect(send(request, options), request.url).rejects.toThrow(/not a valid request line/);
    }
  });

  it('never sends more or less body than its Content-Length says', async () => {
    const received: string[] = [];
    const url = await listen(
      createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push(body);
          res.end('ok');
        });
      }),
    );
    const send = transport();
    const post = (body: string, length: number) =>
      send({ method: 'POST', url: `${url}/`, headers: ['host', 'x', 'content-length', String(length)], body: new Blob([body]).stream() }, options);
    await expect(post('0123456789', 4)).rejects.toThrow(/longer than its Content-Length/);
    await expect(post('01', 4)).rejects.toThrow(/shorter than its Content-Length/);
    // A length with no body at all would make the server read the next request as the body.
    await expect(send({ ...get(`${url}/`), headers: ['host', 'x', 'content-length', '2'] }, options)).rejects.toThrow(/without a body/);
    expect(await (await post('0123', 4)).text()).toBe('ok');
    // Only the exact one arrived whole; nothing past a length was read as a request of its own.
    expect(received).toEqual(['0123']);
  });

  it('refuses header fields that would split the request', async () => {
    const url = await rawOrigin('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const failure = await transport()({ ...get(`${url}/`), headers: ['host', 'x', 'x-evil', 'a\r\nInjected: yes'] }, options).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
  });
});

describe('http1Transport.answer', () => {
  it('answers with the same status, fields and bytes as the Response, without a Response', async () => {
    const raw =
      'HTTP/1.1 201 Made It\r\nTransfer-Encoding: chunked\r\nConnection: x-private\r\nX-Private: 1\r\nSet-Cookie: a=1\r\nVary: A\r\nSet-Cookie: b=2\r\nVary: B\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    const url = await rawOrigin(raw);
    const send = transport();
    const answer = await send.answer(get(`${url}/`), options);
    expect(answer).toEqual({
      status: 201,
      statusText: 'Made It',
      headers: ['set-cookie', 'a=1', 'vary', 'A', 'set-cookie', 'b=2', 'vary', 'B'],
      body: Buffer.from('abc'),
    });
    const response = await send(get(`${url}/`), options);
    expect([response.status, response.statusText, await response.text()]).toEqual([201, 'Made It', 'abc']);
  });

  it('streams a body that has not all arrived, and gives HEAD none', async () => {
    let release!: () => void;
    const url = await listen(
      createServer((req, res) => {
        res.writeHead(200, { 'content-length': '10' });
        if (req.method === 'HEAD') return void res.end();
        res.write('01234');
        release = () => res.end('56789');
      }),
    );
    const send = transport();
    const answer = await send.answer(get(`${url}/`), options);
    expect(answer.body).toBeInstanceOf(ReadableStream);
    const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('01234');
    release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('56789');
    expect((await reader.read()).done).toBe(true);
    const head = await send.answer({ ...get(`${url}/`), method: 'HEAD' }, options);
    expect(head).toMatchObject({ status: 200, body: null });
    expect(head.headers.slice(0, 2)).toEqual(['content-length', '10']);
  });

  it('fails a status no Response could carry as a reset, either way', async () => {
    const url = await rawOrigin('HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n');
    const send = transport();
    await expect(send.answer(get(`${url}/`), options)).rejects.toMatchObject({ name: 'TransportError', kind: 'reset' });
    await expect(send(get(`${url}/`), options)).rejects.toMatchObject({ name: 'TransportError', kind: 'reset' });
  });
});
