import { expect, it } from 'vitest';
import { isBinaryBody } from './binary.ts';

const binary = (headers: Record<string, string>): boolean => isBinaryBody(new Headers(headers));

it('treats text types as text, with or without parameters', () => {
  for (const type of [
    'text/plain',
    'text/html; charset=utf-8',
    'application/json',
    'Application/JSON;charset=UTF-8',
    'application/problem+json',
    'application/atom+xml',
    'application/xml',
    'application/javascript',
    'application/x-www-form-urlencoded',
    'application/graphql',
    'application/x-ndjson',
    'image/svg+xml',
  ]) {
    expect(binary({ 'content-type': type }), type).toBe(false);
  }
});

it('treats everything else as binary, and every compressed body', () => {
  for (const type of ['application/octet-stream', 'image/png', 'application/pdf', 'application/jsonx', 'video/mp4']) {
    expect(binary({ 'content-type': type }), type).toBe(true);
  }
  expect(binary({ 'content-type': 'application/json', 'content-encoding': 'gzip' })).toBe(true);
  expect(binary({ 'content-type': 'text/plain', 'content-encoding': 'identity' })).toBe(false);
  expect(binary({})).toBe(false);
});
