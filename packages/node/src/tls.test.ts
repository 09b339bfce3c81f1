import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeServer } from './options.ts';
import { serve } from './serve.ts';

let dir: string;
let cert: string;
let key: string;
let server: NodeServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const app = {
  fetch: (request: Request) => new Response(`${new URL(request.url).protocol} ${request.method} ${new URL(request.url).pathname}`),
};

describe('TLS termination', () => {
  it('serves HTTP/2 to clients that offer it and HTTP/1.1 to the rest, from PEM files', async () => {
    server = await serve(app, { port: 0, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);

    const client = connect(server.url, { ca: cert });
    try {
      const stream = client.request({ ':path': '/h2' });
      let body = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      const status = await new Promise<number>((resolve) => stream.on('response', (headers) => resolve(Number(headers[':status']))));
      await new Promise((resolve) => stream.on('end', resolve));
      expect([status, body]).toEqual([200, 'https: GET /h2']);
    } finally {
      client.close();
    }

    const http1 = await new Promise<[string | undefined, string]>((resolve, reject) => {
      httpsRequest(new URL('/h1', server!.url), { ca: cert, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve([res.httpVersion, body]));
      })
        .on('error', reject)
        .end();
    });
    expect(http1).toEqual(['1.1', 'https: GET /h1']);
  });

  it('redirects plain HTTP to HTTPS with 308, path and query kept', async () => {
    server = await serve(app, { port: 0, tls: { cert, key }, redirectHttp: 0 });
    const plainPort = (server.redirectServer!.address() as { port: number }).port;
    const [status, location] = await new Promise<[number, string | undefined]>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: plainPort, path: '/a/b?c=1', method: 'POST', headers: { host: `localhost:${plainPort}` } }, (res) => {
        res.resume();
        resolve([res.statusCode!, res.headers.location]);
      })
        .on('error', reject)
        .end('body');
    });
    expect([status, location]).toEqual([308, `https://localhost:${server.port}/a/b?c=1`]);
  });

  it('closes gracefully, the redirect server too', async () => {
    const served = await serve(app, { port: 0, tls: { cert, key }, redirectHttp: 0 });
    const client = connect(served.url, { ca: cert });
    await new Promise((resolve) => client.once('connect', resolve));
    await served.close();
    expect(served.server.listening).toBe(false);
    expect(served.redirectServer!.listening).toBe(false);
    client.destroy();
  });
});
