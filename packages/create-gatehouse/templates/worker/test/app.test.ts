import { expect, it } from 'vitest';
import { app } from '../src/app.ts';

it('answers /api/hello with JSON', async () => {
  const response = await app.request('/api/hello?name=test');
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ hello: 'test' });
});
