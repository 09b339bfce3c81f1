import { expect, it } from 'vitest';
import { isNullBodyStatus } from './status.ts';

it('knows which statuses carry no body', () => {
  expect([101, 103, 204, 205, 304].map(isNullBodyStatus)).toEqual([true, true, true, true, true]);
  expect([200, 201, 206, 301, 400, 404, 500].map(isNullBodyStatus)).toEqual([
    false, false, false, false, false, false, false,
  ]);
});
