import { describe, expect, it } from 'vitest';
import { testContext } from './_test-context.ts';
import { defineEdge } from './define-edge.ts';

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
