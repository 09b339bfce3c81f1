import { describe, expect, it } from 'vitest';
import { safePath } from './safe-path.ts';

// Each hostile path with what safePath must make of it: null (refused), or
// the literal name it stands for, which is never a parent or a separator.
const hostile: [string, string | null][] = [
  // plain and encoded dot segments, any case
  ['/../etc/passwd', null],
  ['/..', null],
  ['/.', null],
  ['/a/./b', null],
  ['/a/../b', null],
  ['//../secret', null],
  ['/%2e%2e/etc/passwd', null],
  ['/%2E%2E/etc/passwd', null],
  ['/%2e%2E/secret', null],
  ['/.%2e/secret', null],
  ['/%2e./secret', null],
  ['/%2e/secret', null],
  ['/static/%2e%2e/%2e%2e/secret', null],
  // encoded separators
  ['/..%2fsecret', null],
  ['/..%2Fsecret', null],
  ['/%2e%2e%2fsecret', null],
  ['/static%2f..%2f..%2fsecret', null],
  ['/..%5csecret', null],
  ['/..%5Csecret', null],
  ['/%5c..%5c..%5csecret', null],
  ['/%2e%2e%5c', null],
  ['/C:%5cWindows%5cwin.ini', null],
  // raw backslashes
  ['/..\\secret', null],
  ['/a\\b', null],
  ['/\\\\server\\share', null],
  // double encoding stays literal, once
  ['/%252e%252e/secret', '/%2e%2e/secret'],
  ['/%252e%252e%252fsecret', '/%2e%2e%2fsecret'],
  ['/%25%32%65%25%32%65/secret', '/%2e%2e/secret'],
  ['/%255c..%255csecret', '/%5c..%5csecret'],
  // NUL and other control characters
  ['/secret%00.txt', null],
  ['/secret.txt%00.png', null],
  ['/%00', null],
  ['/.%00./secret', null],
  ['/foo/..%00/bar', null],
  ['/a%0d%0aSet-Cookie:%20x=y', null],
  ['/a%09b', null],
  ['/%7f', null],
  ['/%c2%85', null],
  // not UTF-8: overlong forms, surrogates, truncated and stray bytes
  ['/%c0%ae%c0%ae/secret', null],
  ['/%c0%af', null],
  ['/%e0%80%ae', null],
  ['/%f0%80%80%ae', null],
  ['/%ed%a0%80', null],
  ['/%c3', null],
  ['/%ff', null],
  ['/%80', null],
  // malformed escapes
  ['/%', null],
  ['/%2', null],
  ['/%zz', null],
  ['/%u002e%u002e/secret', null],
  ['/%%32%65', null],
  // Unicode look-alikes that compatibility folding turns into dots or slashes
  ['/%ef%bc%8e%ef%bc%8e/secret', null],
  ['/%e2%80%a5/secret', null],
  ['/%e2%80%a4%e2%80%a4/secret', null],
  ['/%ef%b9%92%ef%b9%92/secret', null],
  ['/%ef%bc%8f/secret', null],
  ['/%ef%bc%bc/secret', null],
  ['/%ef%bb%bf../secret', null],
  ['/%e2%80%8b../secret', null],
  // trailing dots and spaces (Windows drops them)
  ['/secret.txt.', null],
  ['/secret.txt%2e', null],
  ['/secret.txt%20', null],
  ['/...', null],
  ['/..../secret', null],
  // not a pathname as a URL holds it
  ['secret.txt', null],
  ['', null],
  ['/a b', null],
  ['/é.txt', null],
  ['/a\tb', null],
  // look hostile, name literal files
  ['/..;/secret', '/..;/secret'],
  ['/%2e%2e;/secret', '/..;/secret'],
  ['/a..b', '/a..b'],
];

const normal: [string, string][] = [
  ['/', '/'],
  ['/index.html', '/index.html'],
  ['/docs/', '/docs/'],
  ['//assets///app.js', '/assets/app.js'],
  ['/a//b//', '/a/b/'],
  ['/a%20b.txt', '/a b.txt'],
  ['/a+b.txt', '/a+b.txt'],
  ['/a%2Bb.txt', '/a+b.txt'],
  ['/%C3%A9t%C3%A9.txt', '/été.txt'],
  ['/%c3%a9t%c3%a9.txt', '/été.txt'],
  ['/%E6%97%A5%E6%9C%AC/%E8%AA%9E.html', '/日本/語.html'],
  ['/%F0%9F%98%80.png', '/😀.png'],
  ['/%EF%AC%81le.txt', '/ﬁle.txt'],
  ['/100%25.txt', '/100%.txt'],
  ['/.well-known/security.txt', '/.well-known/security.txt'],
  ['/v1.2.3/app.3f2a9c1b.js', '/v1.2.3/app.3f2a9c1b.js'],
  ['/file.tar.gz', '/file.tar.gz'],
  ["/it's(1)!~*.txt", "/it's(1)!~*.txt"],
  ['/@scope/pkg;v=1,2', '/@scope/pkg;v=1,2'],
];

describe('safePath', () => {
  it.each(hostile)('refuses or neutralises %j', (input, expected) => {
    expect(safePath(input)).toBe(expected);
  });

  it('has a corpus of at least 40 hostile paths', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(40);
  });

  it.each(normal)('accepts %j', (input, expected) => {
    expect(safePath(input)).toBe(expected);
  });

  it('never returns a path with a dot segment, backslash or control character, whatever the input', () => {
    // A seeded generator: the same inputs on every run.
    let seed = 0x9e3779b9;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pieces = ['/', '.', '..', '%2e', '%2E', '%2f', '%5c', '%25', '%00', '%c0%ae', '%c3%a9', '%ef%bc%8e', '%e2%80%a5', 'a', 'b.txt', '%20', ';', '%', '2e', '\\'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let input = '/';
      const count = 1 + next(8);
      for (let j = 0; j < count; j++) input += pieces[next(pieces.length)];
      const output = safePath(input);
      if (output === null) continue;
      accepted++;
      expect(output.startsWith('/')).toBe(true);
      expect(output).not.toMatch(/\/\/|\\/);
      expect([...output].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)).toBe(false);
      for (const segment of output.split('/').slice(1, output.endsWith('/') ? -1 : undefined)) {
        expect(segment).not.toMatch(/^\.+$|\.$|^$/);
        expect(segment.normalize('NFKC')).not.toMatch(/^\.\.?$|[/\\]/);
      }
    }
    // The generator does reach accepted paths, so the checks above ran.
    expect(accepted).toBeGreaterThan(1000);
  });
});
