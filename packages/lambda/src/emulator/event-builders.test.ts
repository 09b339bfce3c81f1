import { describe, expect, it } from 'vitest';
import { fixture } from '../_test-helpers.ts';
import { detectSource } from '../detect.ts';
import { buildEvent, type EmulatedSource } from './event-builders.ts';

// Each emulated source, and the fixture (written from AWS's documentation) it must look like.
const CASES: [EmulatedSource, string, string][] = [
  ['rest', 'rest', 'rest'],
  ['http', 'http-api', 'http'],
  ['function-url', 'function-url', 'http'],
  ['alb', 'alb-single', 'alb'],
  ['alb-multi', 'alb-multi', 'alb'],
  ['lattice-v1', 'lattice-v1', 'lattice-v1'],
  ['lattice-v2', 'lattice-v2', 'lattice-v2'],
];

const request = {
  method: 'POST',
  target: '/orders/7?expand=items&tag=a&tag=b',
  rawHeaders: ['Host', 'api.example', 'Content-Type', 'application/json', 'Cookie', 'a=1; b=2', 'X-Multi', 'one', 'X-Multi', 'two'],
  body: new TextEncoder().encode('{"qty":2}'),
  sourceIp: '203.0.113.7',
};

const keysOf = (value: unknown): string[] => (typeof value === 'object' && value !== null ? Object.keys(value).sort() : []);

describe.each(CASES)('the emulated %s event', (source, fixtureName, detected) => {
  const event = buildEvent(source, request);
  const documented = fixture(fixtureName);

  it(`is read as a ${detected} event`, () => {
    expect(detectSource(event)).toBe(detected);
  });

  it('has the top-level fields of the documented event, and no others', () => {
    // Optional fields a given request may leave out: stage variables, path parameters, a body.
    const optional = new Set(['stageVariables', 'pathParameters', 'resource', 'version', 'body', 'cookies', 'queryStringParameters', 'multiValueQueryStringParameters', 'query_string_parameters']);
    const strip = (keys: string[]) => keys.filter((key) => !optional.has(key));
    expect(strip(keysOf(event))).toEqual(strip(keysOf(documented)));
  });

  it('keeps the documented requestContext fields it needs', () => {
    const context = (event as { requestContext?: Record<string, unknown> }).requestContext;
    const documentedContext = (documented as { requestContext?: Record<string, unknown> }).requestContext;
    for (const key of ['http', 'elb', 'stage', 'domainName', 'identity', 'serviceArn']) {
      expect(context !== undefined && key in context, key).toBe(documentedContext !== undefined && key in documentedContext);
    }
  });
});

it('decodes query values for REST and keeps them encoded for ALB, as AWS does', () => {
  const target = { ...request, target: '/q?x=a%26b&x=c' };
  expect((buildEvent('rest', target) as { multiValueQueryStringParameters: unknown }).multiValueQueryStringParameters).toEqual({ x: ['a&b', 'c'] });
  expect((buildEvent('alb-multi', target) as { multiValueQueryStringParameters: unknown }).multiValueQueryStringParameters).toEqual({ x: ['a%26b', 'c'] });
  expect((buildEvent('alb', target) as { queryStringParameters: unknown }).queryStringParameters).toEqual({ x: 'c' });
});

it('moves cookies out of the headers for payload 2.0', () => {
  const event = buildEvent('http', request) as { cookies: string[]; headers: Record<string, string> };
  expect(event.cookies).toEqual(['a=1', 'b=2']);
  expect(event.headers.cookie).toBeUndefined();
  expect(event.headers['x-multi']).toBe('one,two');
});
