import { serve, type NodeServer } from '@gatehouse/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { app } from '../src/app.ts';

let server: NodeServer;
beforeAll(async () => {
  server = await serve(app, { port: 0 });
});
afterAll(() => server.close());

it('answers /api/hello with JSON', async () => {
  const response = await fetch(new URL('/api/hello?name=test', server.url));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ hello: 'test' });
});
