import { describe, expect, it } from 'vitest';
import { ServerNames } from './server-names.ts';

describe('server_name matching, nginx precedence', () => {
  const names = new ServerNames([
    { names: ['first.test'], value: 'first' },
    { names: ['example.com', 'www.example.com'], value: 'exact' },
    { names: ['*.example.com'], value: 'star-short' },
    { names: ['*.api.example.com'], value: 'star-long' },
    { names: ['mail.*'], value: 'trailing' },
    { names: ['~^(?<user>[a-z]+)\\.users\\.test$', '~\\.users\\.'], value: 'regex' },
    { names: ['.wild.test'], value: 'dot' },
    { names: ['fallback.test'], value: 'default', default: true },
  ]);

  it.each([
    ['example.com', 'exact'],
    ['WWW.Example.COM', 'exact'],
    ['example.com:8080', 'exact'],
    ['example.com.', 'exact'],
    ['shop.example.com', 'star-short'],
    ['v1.api.example.com', 'star-long'],
    ['mail.example.org', 'trailing'],
    // Exact and leading wildcards come before trailing ones.
    ['mail.example.com', 'star-short'],
    ['ada.users.test', 'regex'],
    ['wild.test', 'dot'],
    ['a.b.wild.test', 'dot'],
    ['unknown.test', 'default'],
    ['', 'default'],
    ['[::1]:8080', 'default'],
  ])('%s → %s', (host, expected) => {
    expect(names.match(host)).toBe(expected);
  });

  it('falls back to the first site when none is marked default', () => {
    const plain = new ServerNames([
      { names: ['a.test'], value: 'a' },
      { names: ['b.test'], value: 'b' },
    ]);
    expect(plain.match('c.test')).toBe('a');
    expect(plain.match(null)).toBe('a');
  });

  it('refuses wildcards in the middle and two defaults', () => {
    expect(() => new ServerNames([{ names: ['www.*.com'], value: 1 }])).toThrow(/wildcard goes only at the start/);
    expect(
      () =>
        new ServerNames([
          { names: ['a'], value: 1, default: true },
          { names: ['b'], value: 2, default: true },
        ]),
    ).toThrow('more than one site is marked default');
  });
});
