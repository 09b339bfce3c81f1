import { describe, expect, it } from 'vitest';
import { requestTarget } from './request-target.ts';

describe('requestTarget', () => {
  // Whatever a Request makes of a URL, the slices must equal what URL parsing gives.
  const inputs = [
    'http://example.com/',
    'https://example.com:8443/a/b?x=1&y=2',
    'http://EXAMPLE.com/A%2Fb/%2e%2E/c',
    'http://127.0.0.1:3000/static/app.css',
    'http://[::1]:8080/path?q',
    'http://example.com/a?b?c/d',
    'http://example.com?only=query',
    'http://example.com/path#fragment',
    'https://xn--bcher-kva.example/ü/ß?ä=ö',
    'http://example.com/../../etc/passwd',
    'http://example.com/a\\b',
    'http://example.com//double//slashes',
    'http://example.com/%zz',
  ];
  for (const input of inputs) {
    it(`slices ${input} as URL parses it`, () => {
      const url = new Request(input).url;
      const parsed = new URL(url);
      expect(requestTarget(url)).toEqual({ host: parsed.host, pathname: parsed.pathname });
    });
  }

  it('falls back to URL for what a Request would not produce', () => {
    expect(requestTarget('http://user:pass@example.com/x')).toEqual({ host: 'example.com', pathname: '/x' });
    expect(requestTarget('http://example.com/x#y')).toEqual({ host: 'example.com', pathname: '/x' });
    expect(() => requestTarget('not a url')).toThrow(TypeError);
  });
});
