import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { App, Context } from './index.ts';

describe('a Hono app', () => {
  it('is an App with no cast, env and ctx included', async () => {
    type Env = { GREETING: string };
    const hono = new Hono<{ Bindings: Env }>();
    hono.get('/hi/:name', (c) => {
      c.executionCtx.waitUntil(Promise.resolve());
      return c.text(`${c.env.GREETING}, ${c.req.param('name')}`);
    });

    // The assignment is the test: it fails to type-check if the contract drifts from Hono's.
    const app: App<Env> = hono;

    const waited: Promise<unknown>[] = [];
    const ctx: Context = {
      waitUntil: (p) => void waited.push(p),
      passThroughOnException() {},
      clientAddress: undefined,
      runtime: 'test',
      props: {},
    };
    const response = await app.fetch(new Request('http://x/hi/ada'), { GREETING: 'Hello' }, ctx);
    expect(await response.text()).toBe('Hello, ada');
    expect(waited).toHaveLength(1);
  });
});
