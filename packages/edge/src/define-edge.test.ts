import { ANSWER_HEAD, type RequestHead } from '@gatehouse/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testContext } from './_test-context.ts';
import { defineEdge } from './define-edge.ts';
import { LocationTable } from './routing/locations.ts';
import type { Asset, AssetStore } from './static/asset-store.ts';

const ctx = testContext;

const get = (app: ReturnType<typeof defineEdge>, url: string, init?: RequestInit) =>
  Promise.resolve(app.fetch(new Request(url, init), {}, ctx));

describe('defineEdge', () => {
  const edge = defineEdge({
    sites: [
      {
        serverName: ['example.com', 'www.example.com'],
        routes: {
          '= /healthz': { respond: 'ok' },
          '= /teapot': { respond: { status: 418, body: 'short and stout', headers: { 'x-pot': '1' } } },
          '= /empty': { respond: 204 },
          '~ ^/old/(?<rest>.*)$': { redirect: '/new/$rest$is_args$args', status: 301 },
          '~* ^/BLOG/(\\d+)$': { redirect: 'https://blog.example.com/posts/$1', status: 308 },
          '/': { fetch: (request) => new Response(`app saw ${new URL(request.url).pathname}`) },
        },
      },
      { serverName: '*.example.org', default: true, routes: { '/': { respond: 'org site' } } },
    ],
  });

  it('answers directly, with status, body and headers', async () => {
    const ok = await get(edge, 'http://example.com/healthz');
    expect([ok.status, ok.headers.get('content-type'), await ok.text()]).toEqual([200, 'text/plain; charset=utf-8', 'ok']);
    const teapot = await get(edge, 'http://example.com/teapot');
    expect([teapot.status, teapot.headers.get('x-pot'), await teapot.text()]).toEqual([418, '1', 'short and stout']);
    const empty = await get(edge, 'http://example.com/empty');
    expect([empty.status, await empty.text()]).toEqual([204, '']);
    const head = await get(edge, 'http://example.com/healthz', { method: 'HEAD' });
    expect(await head.text()).toBe('');
  });

  it('redirects with captures and the query kept', async () => {
    const moved = await get(edge, 'http://example.com/old/a/b?x=1&y=2');
    expect([moved.status, moved.headers.get('location')]).toEqual([301, 'http://example.com/new/a/b?x=1&y=2']);
    const blog = await get(edge, 'http://www.example.com/blog/42');
    expect([blog.status, blog.headers.get('location')]).toEqual([308, 'https://blog.example.com/posts/42']);
  });

  it('chooses the site by Host, the default one for unknown hosts', async () => {
    expect(await (await get(edge, 'http://example.com/anything')).text()).toBe('app saw /anything');
    expect(await (await get(edge, 'http://shop.example.org/')).text()).toBe('org site');
    expect(await (await get(edge, 'http://unknown.test/healthz')).text()).toBe('org site');
  });

  it('matches locations on the decoded path', async () => {
    const moved = await get(edge, 'http://example.com/%6Fld/x');
    expect(moved.headers.get('location')).toBe('http://example.com/new/x');
  });

  it('answers 404 where no location matches', async () => {
    const only = defineEdge({ routes: { '/api/': { respond: 'api' } } });
    const response = await get(only, 'http://a.test/other');
    expect([response.status, await response.text()]).toEqual([404, 'Not Found\n']);
  });

  it('builds a config from env once per env object', async () => {
    let built = 0;
    const perEnv = defineEdge((env: { GREETING: string }) => {
      built++;
      return { routes: { '/': { respond: env.GREETING } } };
    });
    const env = { GREETING: 'hi' };
    for (let i = 0; i < 3; i++) expect(await (await perEnv.fetch(new Request('http://a.test/'), env, ctx)).text()).toBe('hi');
    expect(built).toBe(1);
  });

  it('refuses a bad config with the location named', () => {
    expect(() => defineEdge({ routes: { '/': { redirect: '/x/$nope' } } })).toThrow('location "/": "/x/$nope": unknown variable $nope');
    expect(() => defineEdge({ routes: { '/': { redirect: '/x', status: 200 as 301 } } })).toThrow('location "/": 200 is not a redirect status');
    expect(() => defineEdge({ routes: { '/': {} as never } })).toThrow(/location "\/": a route needs one of/);
    expect(() => defineEdge({})).toThrow('defineEdge: give `routes`, or `sites` each with its routes');
  });
});

const headOf = (url: string, method = 'GET', headers: Record<string, string> = {}): RequestHead => ({
  method,
  url,
  headers: new Headers(headers),
  signal: new AbortController().signal,
});

describe('defineEdge: a request asked about from its head, then fetched', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const app = () =>
    defineEdge({
      routes: {
        '= /a': { fetch: () => new Response('route a') },
        '/': { fetch: (request) => new Response(`route / for ${new URL(request.url).pathname}`) },
      },
    });

  it('is routed once: fetch takes the route its head was given', async () => {
    const edge = app();
    const match = vi.spyOn(LocationTable.prototype, 'match');
    expect(edge[ANSWER_HEAD](headOf('http://a.test/a'), {}, ctx)).toBeUndefined();
    expect(await (await get(edge, 'http://a.test/a')).text()).toBe('route a');
    expect(match).toHaveBeenCalledTimes(1);
    // Handed over once: the next request for the URL is routed anew.
    await get(edge, 'http://a.test/a');
    expect(match).toHaveBeenCalledTimes(2);
  });

  it('never hands one request the route of another, however they interleave', async () => {
    const edge = app();
    expect(edge[ANSWER_HEAD](headOf('http://a.test/a'), {}, ctx)).toBeUndefined();
    expect(edge[ANSWER_HEAD](headOf('http://a.test/b'), {}, ctx)).toBeUndefined();
    expect(await (await get(edge, 'http://a.test/a')).text()).toBe('route a');
    expect(await (await get(edge, 'http://a.test/c')).text()).toBe('route / for /c');
    expect(await (await get(edge, 'http://a.test/b')).text()).toBe('route / for /b');
    expect(edge[ANSWER_HEAD](headOf('http://a.test/b'), {}, ctx)).toBeUndefined();
    expect(await (await get(edge, 'http://a.test/a')).text()).toBe('route a');
    expect(await (await get(edge, 'http://a.test/b?x')).text()).toBe('route / for /b');
  });
});

/** A store of files held in memory that answers every lookup at once, or (`waits`) in a promise; it notes what is given back. */
function memoryAssets(files: Record<string, string>, waits = false) {
  const discarded: string[] = [];
  const store: AssetStore = {
    get(path) {
      const content = files[path];
      const asset: Asset | null =
        content === undefined
          ? null
          : {
              size: content.length,
              etag: `"${content.length}"`,
              lastModified: undefined,
              contentType: undefined,
              bytes: new TextEncoder().encode(content),
              body: () => new TextEncoder().encode(content),
              discard: () => void discarded.push(path),
            };
      return waits ? Promise.resolve(asset) : asset;
    },
  };
  return { store, discarded };
}

describe('defineEdge: static files from the request head', () => {
  const files = { '/site/page.txt': 'page', '/site/docs/index.html': '<h1>docs</h1>' };

  it('answers a file held in memory from one plan, as fetch does', async () => {
    const { store, discarded } = memoryAssets(files);
    const edge = defineEdge({ assets: store, routes: { '/site/': { static: true } } });
    const made = edge[ANSWER_HEAD](headOf('http://a.test/site/page.txt'), {}, ctx);
    const response = await get(edge, 'http://a.test/site/page.txt');
    expect(made).toMatchObject({ status: response.status, body: new TextEncoder().encode(await response.text()) });
    expect(discarded).toEqual([]);
  });

  it('leaves the rest to fetch, giving back what its plan got', async () => {
    const { store, discarded } = memoryAssets(files);
    const edge = defineEdge({ assets: store, routes: { '/site/': { static: true } } });
    expect(edge[ANSWER_HEAD](headOf('http://a.test/site/docs/'), {}, ctx)).toBeUndefined();
    expect(discarded).toEqual(['/site/docs/index.html']);
    expect(edge[ANSWER_HEAD](headOf('http://a.test/site/missing'), {}, ctx)).toBeUndefined();
    expect((await get(edge, 'http://a.test/site/missing')).status).toBe(404);
    expect(await (await get(edge, 'http://a.test/site/docs/')).text()).toBe('<h1>docs</h1>');
  });

  it('does not wait for a store that answers in a promise', async () => {
    const { store } = memoryAssets(files, true);
    const edge = defineEdge({ assets: store, routes: { '/site/': { static: true }, '/': { tryFiles: 'app' } }, pools: { app: { servers: ['http://127.0.0.1:9'] } } });
    expect(edge[ANSWER_HEAD](headOf('http://a.test/site/page.txt'), {}, ctx)).toBeUndefined();
    // tryFiles: not known at once to be missing, so not passed to the pool from the head.
    expect(edge[ANSWER_HEAD](headOf('http://a.test/anything'), {}, ctx)).toBeUndefined();
    expect(await (await get(edge, 'http://a.test/site/page.txt')).text()).toBe('page');
  });
});
