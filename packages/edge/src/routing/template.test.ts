import { describe, expect, it } from 'vitest';
import { compileTemplate, namedGroups } from './template.ts';

const values = (href: string, captures: string[] = [], groups: Record<string, string> = {}) => ({
  url: new URL(href),
  captures,
  groups,
});

describe('templates', () => {
  it('fills captures and nginx variables', () => {
    const template = compileTemplate('$scheme://$host/new/$1/${id}x$is_args$args', ['id']);
    expect(template(values('https://example.com/old/a?q=1', ['/old/a', 'a'], { id: '7' }))).toBe(
      'https://example.com/new/a/7x?q=1',
    );
    expect(template(values('http://example.com/old/b', ['/old/b', 'b'], { id: '8' }))).toBe('http://example.com/new/b/8x');
  });

  it('gives $request_uri and $uri as sent', () => {
    expect(compileTemplate('https://new.test$request_uri')(values('http://old.test/a%20b?x=1'))).toBe(
      'https://new.test/a%20b?x=1',
    );
    expect(compileTemplate('$uri')(values('http://old.test/a%20b?x=1'))).toBe('/a%20b');
  });

  it('leaves a missing capture empty but refuses an unknown variable', () => {
    expect(compileTemplate('/x/$2')(values('http://a.test/', ['/'])) ).toBe('/x/');
    expect(() => compileTemplate('/x/$nope')).toThrow('"/x/$nope": unknown variable $nope');
  });

  it('finds named groups in a regex', () => {
    expect(namedGroups(/^\/(?<a>\d+)\/(?<b_2>x)(?:y)(z)/)).toEqual(['a', 'b_2']);
    expect(namedGroups(undefined)).toEqual([]);
  });
});
