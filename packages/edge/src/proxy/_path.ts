import type { ProxyOptions } from './proxy-options.ts';

/**
 * How a client's path becomes the upstream's: returns the new path, which
 * may carry its own query (`/x?y`), replacing the client's.
 */
export type PathRewrite = (path: string, request: Request) => string;

/** Compile `stripPrefix` / `rewrite`; `undefined` when the path goes as it is. */
export function compileRewrite(options: ProxyOptions): PathRewrite | undefined {
  const { stripPrefix, rewrite } = options;
  if (stripPrefix !== undefined && rewrite !== undefined) {
    throw new TypeError('proxy: give stripPrefix or rewrite, not both (stripPrefix is rewrite { prefix, replacement: "/" } on a segment boundary)');
  }
  if (stripPrefix !== undefined) {
    if (typeof stripPrefix !== 'string' || !stripPrefix.startsWith('/')) {
      throw new TypeError(`proxy: stripPrefix must be a path starting with "/", not ${JSON.stringify(stripPrefix)}`);
    }
    const prefix = stripPrefix.replace(/\/+$/, '');
    if (prefix === '') return undefined;
    return (path) => {
      if (!path.startsWith(prefix)) return path;
      if (path.length === prefix.length) return '/';
      // Only on a segment boundary: /api strips /api/x but leaves /apix alone.
      return path.charCodeAt(prefix.length) === 0x2f /* / */ ? path.slice(prefix.length) : path;
    };
  }
  if (rewrite === undefined) return undefined;
  if (typeof rewrite === 'function') {
    return (path, request) => {
      const result = rewrite(path, request);
      if (typeof result !== 'string') throw new TypeError(`proxy: rewrite returned ${typeof result} instead of a path`);
      return result.startsWith('/') ? result : `/${result}`;
    };
  }
  const { prefix, replacement } = rewrite;
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || typeof replacement !== 'string' || !replacement.startsWith('/')) {
    throw new TypeError(
      `proxy: rewrite { prefix, replacement } takes two paths starting with "/", not ${JSON.stringify(rewrite)}`,
    );
  }
  return (path) => {
    if (!path.startsWith(prefix)) return path;
    const rest = path.slice(prefix.length);
    // `/old` → `/new/` with the request `/old` itself gives `/new/`, and `/old/x` → `/new/x`, not `/new//x`.
    if (replacement.endsWith('/') && rest.startsWith('/')) return replacement + rest.slice(1);
    return replacement + rest;
  };
}
