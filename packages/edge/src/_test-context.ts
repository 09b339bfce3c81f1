import type { Context } from '@gatehouse/core';

/** The Context the edge's unit tests hand the edge App: a client at 203.0.113.9. */
export const testContext: Context = {
  waitUntil() {},
  passThroughOnException() {},
  clientAddress: '203.0.113.9',
  runtime: 'test',
  props: {},
};
