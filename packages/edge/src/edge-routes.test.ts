import type { App } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { testContext } from './_test-context.ts';
import { defineEdge } from './define-edge.ts';
import { MemoryStore } from './static/_test-memory-store.ts';

const ctx = testContext;

// An origin App in the same process: what the pool's server runs.
const origin: App = {
  fetch: (request) =>
    new Response(`origin ${request.method} ${new URL(request.url).pathname} xff=${request.headers.get('x-forwarded-for')}`),
};

const store = new MemoryStore({
  '/index.html': '<h1>home</h1>',
  '/static/app.3f2a9c1b.js': 'console.log(1)',
  '/public/robots.txt': 'User-agent: *',
  '/docs/index.html': 'docs',
});

const edge = defineEdge({
  assets: store,
  pools: { app: { servers: [{ app: origin }] } },
  routes: {
    '^~ /static/': { static: true },
    '= /robots.txt': { static: { root: '/public' } },
    '^~ /files/': { static: { stripPrefix: '/files' } },
    '/api/': { proxy: { pool: 'app', stripPrefix: '/api' } },
    '/': { tryFiles: 'app' },
  },
});

const get = async (path: string, init?: RequestInit): Promise<[number, string, Headers]> => {
  const response = await edge.fetch(new Request(`http://edge.test${path}`, init), {}, ctx);
  return [response.status, await response.text(), response.headers];
};

describe('static, proxy and tryFiles routes', () => {
  it('serves a static route from the store, immutable for hashed names, 404 when missing', async () => {
    const [status, body, headers] = await get('/static/app.3f2a9c1b.js');
    expect([status, body, headers.get('cache-control')]).toEqual([200, 'console.log(1)', 'public, max-age=31536000, immutable']);
    expect((await get('/static/missing.js'))[0]).toBe(404);
  });

  it('refuses a path no store may hold on a static route', async () => {
    expect((await get('/static/a%2f..%2f..%2fsecret'))[0]).toBe(400);
    expect((await get('/static/a%5c..%5csecret'))[0]).toBe(400);
    expect((await get('/static/a%00.js'))[0]).toBe(400);
    // Dot segments, even encoded, are resolved by the URL parser before any
    // location matches (as nginx does): this is /public/robots.txt.
    expect(new URL('http://edge.test/static/%2e%2e/public/robots.txt').pathname).toBe('/public/robots.txt');
  });

  it('maps root and stripPrefix like nginx root and alias', async () => {
    expect((await get('/robots.txt'))[1]).toBe('User-agent: *');
    expect((await get('/files/docs/'))[1]).toBe('docs');
  });

  it('proxies to the pool with the prefix stripped and X-Forwarded-For set', async () => {
    expect((await get('/api/users?x=1'))[1]).toBe('origin GET /users xff=203.0.113.9');
  });

  it('tries a file first, then the pool', async () => {
    expect((await get('/'))[1]).toBe('<h1>home</h1>');
    expect((await get('/docs/'))[1]).toBe('docs');
    expect((await get('/dashboard'))[1]).toBe('origin GET /dashboard xff=203.0.113.9');
    expect((await get('/', { method: 'POST', body: 'x' }))[1]).toBe('origin POST / xff=203.0.113.9');
  });

  it('names what is wrong in the config', () => {
    expect(() => defineEdge({ routes: { '/': { static: true } } })).toThrow('location "/": static files need `assets` in the edge config');
    expect(() => defineEdge({ pools: { api: { servers: ['http://127.0.0.1:1'] } }, routes: { '/': { proxy: 'app' } } })).toThrow(
      'location "/": no pool is named "app" (pools: api)',
    );
  });
});
