import type { Context } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { testContext } from '../_test-context.ts';
import { defineEdge } from '../define-edge.ts';
import { addressMatcher, compileAccess } from './client-access.ts';
import { securityHeaders } from './route-rules.ts';

const from = (clientAddress: string | undefined): Context => ({ ...testContext, clientAddress });

describe('access, as nginx allow and deny', () => {
  it('lets the first matching rule decide, allows when none matches, and reads IPv4, IPv6 and IPv4-mapped addresses alike', () => {
    const allowed = compileAccess(['deny 192.168.1.1', 'allow 192.168.1.0/24', 'allow 10.1.1.0/16', 'allow 2001:0db8::/32', 'deny all']);
    expect(allowed('192.168.1.7')).toBe(true);
    expect(allowed('192.168.1.1')).toBe(false);
    expect(allowed('::ffff:192.168.1.1')).toBe(false);
    expect(allowed('::ffff:192.168.1.9')).toBe(true);
    expect(allowed('10.1.200.3')).toBe(true);
    expect(allowed('2001:db8:1::5')).toBe(true);
    expect(allowed('[2001:db8::5]')).toBe(true);
    expect(allowed('2001:db9::5')).toBe(false);
    expect(allowed('8.8.8.8')).toBe(false);
    // An unknown address matches only `all`.
    expect(allowed(undefined)).toBe(false);
    expect(compileAccess(['deny 10.0.0.0/8'])(undefined)).toBe(true);
    expect(compileAccess(['deny 10.0.0.0/8'])('172.16.0.1')).toBe(true);
  });

  it('takes a mapped range as the IPv4 range it is', () => {
    const trusted = addressMatcher(['::ffff:10.0.0.0/104']);
    expect(trusted('10.9.9.9')).toBe(true);
    expect(trusted('::ffff:10.9.9.9')).toBe(true);
    expect(trusted('11.0.0.1')).toBe(false);
    expect(trusted('not an address')).toBe(false);
  });

  it('refuses a rule that does not parse, naming it', () => {
    expect(() => compileAccess(['allow 10.0.0.0/33'])).toThrow('access: "10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR range');
    expect(() => compileAccess(['permit all'])).toThrow('access: "permit all" is not "allow <range>"');
  });
});

describe('rules on routes', () => {
  // As a server makes it: the length the client declared among the fields.
  const upload = (length: number): Request =>
    new Request('http://example.com/upload', { method: 'POST', body: 'x'.repeat(length), headers: { 'content-length': String(length) } });

  const edge = defineEdge({
    rules: { headers: securityHeaders },
    sites: [
      {
        serverName: 'example.com',
        rules: { https: { hsts: { maxAge: 31_536_000, includeSubDomains: true } } },
        routes: {
          '/admin/': { respond: 'admin', access: ['allow 10.0.0.0/8', 'allow 2001:db8::/32', 'deny all'] },
          '/upload': {
            fetch: async (request) => new Response(`read ${(await request.arrayBuffer()).byteLength}`),
            maxBodySize: 1_000,
            methods: ['POST'],
          },
          '/read-only': { respond: 'ok', methods: ['GET'] },
          '/small-head': { respond: 'ok', maxHeaderCount: 3, maxHeaderSize: 200 },
          // A route's headers replace the edge's.
          '/embeddable': { respond: 'ok', headers: { ...securityHeaders, 'x-frame-options': 'ALLOWALL' } },
          '/': { respond: 'home' },
        },
      },
      { serverName: 'secure.example', rules: { https: { redirect: 308 } }, routes: { '/': { respond: 'secure' } } },
    ],
  });
  const fetch = (request: Request | string, ctx: Context = testContext): Promise<Response> =>
    Promise.resolve(edge.fetch(typeof request === 'string' ? new Request(request) : request, {}, ctx));

  it('answers 403 to a client the access rules deny, and serves one they allow', async () => {
    expect((await fetch('http://example.com/admin/', from('10.3.4.5'))).status).toBe(200);
    expect((await fetch('http://example.com/admin/', from('::ffff:10.3.4.5'))).status).toBe(200);
    expect((await fetch('http://example.com/admin/', from('2001:db8::1'))).status).toBe(200);
    const denied = await fetch('http://example.com/admin/', from('203.0.113.9'));
    expect([denied.status, await denied.text()]).toEqual([403, 'Forbidden\n']);
    expect((await fetch('http://example.com/admin/', from(undefined))).status).toBe(403);
  });

  it('answers 413 to a declared length past maxBodySize without reading it, and cuts a body without one', async () => {
    expect(await (await fetch(upload(1_000))).text()).toBe('read 1000');
    const declared = upload(1_001);
    const refused = await fetch(declared);
    expect(refused.status).toBe(413);
    expect(declared.bodyUsed).toBe(false);
    // No Content-Length: counted as it is read, and refused once past the limit.
    const chunks = [new TextEncoder().encode('x'.repeat(600)), new TextEncoder().encode('x'.repeat(600))];
    const streamed = new Request('http://example.com/upload', {
      method: 'POST',
      body: new ReadableStream({ pull: (controller) => (chunks.length > 0 ? controller.enqueue(chunks.shift()!) : controller.close()) }),
      duplex: 'half',
    } as RequestInit);
    const cut = await fetch(streamed);
    expect([cut.status, await cut.text()]).toEqual([413, 'Content Too Large\n']);
  });

  it('answers 405 with Allow to another method, HEAD going with GET', async () => {
    const refused = await fetch(new Request('http://example.com/upload'));
    expect([refused.status, refused.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(new Request('http://example.com/read-only', { method: 'HEAD' }))).status).toBe(200);
    expect((await fetch(new Request('http://example.com/read-only', { method: 'DELETE' }))).headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 431 past the most header fields or bytes', async () => {
    expect((await fetch(new Request('http://example.com/small-head', { headers: { a: '1', b: '2' } }))).status).toBe(200);
    expect((await fetch(new Request('http://example.com/small-head', { headers: { a: '1', b: '2', c: '3', d: '4' } }))).status).toBe(431);
    expect((await fetch(new Request('http://example.com/small-head', { headers: { a: 'x'.repeat(300) } }))).status).toBe(431);
  });

  it('puts the headers on every answer, refusals included, and HSTS on HTTPS answers only', async () => {
    const home = await fetch('https://example.com/');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(home.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect((await fetch('http://example.com/')).headers.get('strict-transport-security')).toBeNull();
    const refused = await fetch('https://example.com/admin/', from('203.0.113.9'));
    expect([refused.status, refused.headers.get('x-frame-options')]).toEqual([403, 'SAMEORIGIN']);
    expect((await fetch('https://example.com/embeddable')).headers.get('x-frame-options')).toBe('ALLOWALL');
  });

  it('sends plain-HTTP requests to https:// with the status asked for', async () => {
    const redirected = await fetch('http://secure.example/cart?item=2');
    expect([redirected.status, redirected.headers.get('location')]).toEqual([308, 'https://secure.example/cart?item=2']);
    expect(await (await fetch('https://secure.example/cart')).text()).toBe('secure');
  });

  it('refuses rules it cannot follow when the edge is defined, naming the location', () => {
    expect(() => defineEdge({ routes: { '/': { respond: 'x', access: ['allow 300.0.0.1'] } } })).toThrow('location "/": access: "300.0.0.1" is not');
    expect(() => defineEdge({ routes: { '/': { respond: 'x', methods: [] } } })).toThrow('location "/": methods is a list of methods');
    expect(() => defineEdge({ routes: { '/': { respond: 'x', maxBodySize: -1 } } })).toThrow('location "/": maxBodySize is a number of bytes');
    expect(() => defineEdge({ routes: { '/': { respond: 'x', headers: { 'x-a': 'b\r\nc' } } } })).toThrow('is not a header field');
  });
});

describe('cors', () => {
  const edge = defineEdge({
    routes: {
      '/api/': {
        fetch: () => new Response('data', { headers: { vary: 'Accept-Encoding' } }),
        methods: ['GET', 'POST'],
        cors: { origins: ['https://app.example.com'], methods: ['GET', 'POST', 'PUT'], exposeHeaders: ['x-request-id'], credentials: true, maxAge: 60 },
      },
      '/public/': { respond: 'open', cors: { origins: '*' } },
    },
  });
  const fetch = (path: string, init?: RequestInit): Promise<Response> => Promise.resolve(edge.fetch(new Request(`http://example.com${path}`, init), {}, testContext));

  it('answers a preflight at the edge, before the methods rule, naming the origin when credentials are allowed', async () => {
    const preflight = await fetch('/api/items', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-token' },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, PUT',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-max-age': '60',
    });
    // An origin not listed: no fields, and the browser refuses.
    const stranger = await fetch('/api/items', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect([stranger.status, stranger.headers.get('access-control-allow-origin')]).toEqual([204, null]);
    // OPTIONS that is no preflight is the methods rule's.
    expect((await fetch('/api/items', { method: 'OPTIONS' })).status).toBe(405);
  });

  it('puts the fields on the answer for an allowed origin, adding Origin to its Vary', async () => {
    const answer = await fetch('/api/items', { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(answer.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(answer.headers.get('vary')).toBe('Accept-Encoding, Origin');
    const stranger = await fetch('/api/items', { headers: { origin: 'https://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch('/public/x', { headers: { origin: 'https://anyone.example' } })).headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('basicAuth', async () => {
  const { hashPassword } = await import('./basic-auth.ts');
  const hash = await hashPassword('s3cret pässword', 1_000);
  const edge = defineEdge({
    routes: {
      '/private/': { respond: 'inside', basicAuth: { realm: 'Staff', users: { ada: hash, grace: '{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=' } } },
    },
  });
  const basic = (user: string, password: string): string => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
  const fetch = (authorization?: string): Promise<Response> =>
    Promise.resolve(edge.fetch(new Request('http://example.com/private/', authorization === undefined ? {} : { headers: { authorization } }), {}, testContext));

  it('lets in the right user and password, UTF-8 included, from a PBKDF2 hash or an htpasswd {SHA} one', async () => {
    expect(hash).toMatch(/^pbkdf2-sha256\$1000\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await (await fetch(basic('ada', 's3cret pässword'))).text()).toBe('inside');
    // htpasswd -s: {SHA} of "test".
    expect((await fetch(basic('grace', 'test'))).status).toBe(200);
  });

  it('answers 401 with the challenge to no, wrong or malformed credentials, and to an unknown user', async () => {
    for (const authorization of [undefined, basic('ada', 'wrong'), basic('nobody', 's3cret pässword'), 'Basic !!!', 'Bearer x', basic('ada', '')]) {
      const refused = await fetch(authorization);
      expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="Staff", charset="UTF-8"']);
    }
  });

  it('refuses a password that is not a hash when the edge is defined', () => {
    expect(() => defineEdge({ routes: { '/': { respond: 'x', basicAuth: { realm: 'r', users: { ada: 'plain-text' } } } } })).toThrow(
      "location \"/\": basicAuth.users: ada's password is not a hash gatehouse reads",
    );
  });
});
