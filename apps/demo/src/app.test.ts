import { serve, type NodeServer } from '@gatehouse/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { app } from './app.ts';

let server: NodeServer;
beforeAll(async () => {
  server = await serve(app, { port: 0 });
});
afterAll(() => server.close());

it('serves the demo page', async () => {
  const response = await fetch(server.url);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await response.text()).toContain('served by <code>@gatehouse/node</code>');
});

it('answers the JSON API, with the runtime in the context', async () => {
  const response = await fetch(new URL('/api/hello?name=ada', server.url));
  expect(await response.json()).toEqual({ hello: 'ada', runtime: 'node' });
});

it('echoes JSON', async () => {
  const response = await fetch(new URL('/api/echo', server.url), { method: 'POST', body: '{"a":[1,2]}' });
  expect(await response.json()).toEqual({ a: [1, 2] });
});
