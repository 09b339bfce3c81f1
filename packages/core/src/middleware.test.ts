import { describe, expect, it } from 'vitest';
import type { App } from './app.ts';
import type { Context } from './context.ts';
import { compose, type Middleware } from './middleware.ts';

const ctx: Context = {
  waitUntil() {},
  passThroughOnException() {},
  clientAddress: '127.0.0.1',
  runtime: 'test',
  props: {},
};

const tag =
  (name: string): Middleware =>
  (next) => ({
    async fetch(request, env, context) {
      const headers = new Headers(request.headers);
      headers.append('x-trail', `${name}>`);
      const response = await next.fetch(new Request(request, { headers }), env, context);
      return new Response(`${await response.text()}<${name}`, response);
    },
  });

const origin: App = {
  fetch: (request) => new Response(request.headers.get('x-trail') ?? ''),
};

describe('compose', () => {
  it('runs the first middleware outermost', async () => {
    const app = compose(tag('a'), tag('b'), tag('c'))(origin);
    const response = await app.fetch(new Request('http://x/'), {}, ctx);
    expect(await response.text()).toBe('a>, b>, c><c<b<a');
  });

  it('returns the App itself when given nothing', () => {
    expect(compose()(origin)).toBe(origin);
  });

  it('lets a middleware answer without calling the App', async () => {
    const deny: Middleware = () => ({ fetch: () => new Response('no', { status: 403 }) });
    let called = false;
    const app = compose(deny)({ fetch: () => ((called = true), new Response('yes')) });
    const response = await app.fetch(new Request('http://x/'), {}, ctx);
    expect(response.status).toBe(403);
    expect(called).toBe(false);
  });
});
