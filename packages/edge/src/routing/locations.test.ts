import { describe, expect, it } from 'vitest';
import { LocationTable, parseLocation } from './locations.ts';

const table = (patterns: readonly string[]): LocationTable<string> =>
  new LocationTable(patterns.map((pattern) => parseLocation(pattern, pattern)));

describe('location matching, nginx precedence', () => {
  // The example of nginx's own documentation for `location`.
  const nginxExample = table(['= /', '/', '/documents/', '^~ /images/', '~* \\.(gif|jpg|jpeg)$']);

  it.each([
    ['/', '= /'],
    ['/index.html', '/'],
    ['/documents/document.html', '/documents/'],
    ['/images/1.gif', '^~ /images/'],
    ['/documents/1.jpg', '~* \\.(gif|jpg|jpeg)$'],
    ['/documents/1.JPG', '~* \\.(gif|jpg|jpeg)$'],
  ])('%s → %s', (path, expected) => {
    expect(nginxExample.match(path)?.location.pattern).toBe(expected);
  });

  it('tries regexes in the order written, the first match winning', () => {
    const locations = table(['~ ^/api/', '~ ^/api/v2/', '/']);
    expect(locations.match('/api/v2/users')?.location.pattern).toBe('~ ^/api/');
  });

  it('keeps case for ~ and ignores it for ~*', () => {
    const locations = table(['~ \\.PNG$', '~* \\.gif$', '/']);
    expect(locations.match('/a.png')?.location.pattern).toBe('/');
    expect(locations.match('/a.PNG')?.location.pattern).toBe('~ \\.PNG$');
    expect(locations.match('/a.GiF')?.location.pattern).toBe('~* \\.gif$');
  });

  it('lets the longest prefix win when no regex matches, even a ^~ one that is shorter', () => {
    const locations = table(['^~ /static/', '/static/img/', '~ \\.css$']);
    expect(locations.match('/static/img/a.png')?.location.pattern).toBe('/static/img/');
    // The longest prefix is a plain one: the regex search goes on and wins.
    expect(locations.match('/static/img/a.css')?.location.pattern).toBe('~ \\.css$');
    // The longest prefix is ^~: no regex search.
    expect(locations.match('/static/a.css')?.location.pattern).toBe('^~ /static/');
  });

  it('matches an exact location only exactly', () => {
    const locations = table(['= /health', '/']);
    expect(locations.match('/health')?.location.pattern).toBe('= /health');
    expect(locations.match('/health/')?.location.pattern).toBe('/');
    expect(locations.match('/healthz')?.location.pattern).toBe('/');
  });

  it('gives regex captures, positional and named', () => {
    const locations = table(['~ ^/users/(?<id>\\d+)/posts/(\\d+)$']);
    const match = locations.match('/users/42/posts/7')!;
    expect(match.captures.slice(1)).toEqual(['42', '7']);
    expect(match.groups).toEqual({ id: '42' });
  });

  it('answers nothing when no location matches', () => {
    expect(table(['/api/', '= /']).match('/other')).toBeUndefined();
  });

  it('refuses what is not a location, naming it', () => {
    expect(() => parseLocation('api/', 1)).toThrow('location "api/": a path must start with "/"');
    expect(() => parseLocation('~ (unclosed', 1)).toThrow(/location "~ \(unclosed":/);
    expect(() => parseLocation('=', 1)).toThrow('location "=" has no path or expression');
    expect(() => table(['/a', '^~ /a'])).toThrow('location "^~ /a" is defined twice');
  });
});
