import { emulate, type Emulator } from '@gatehouse/lambda/emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handler } from '../src/handler.ts';

// The function as a Function URL fronts it: each request becomes a real event.
let front: Emulator;
beforeAll(async () => {
  front = await emulate(handler, { source: 'function-url' });
});
afterAll(() => front.close());

it('answers /api/hello with JSON, through a Function URL event', async () => {
  const response = await fetch(new URL('/api/hello?name=test', front.url));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ hello: 'test' });
});
