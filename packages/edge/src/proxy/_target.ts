/** A client request's URL, cut into what the proxy needs, without parsing it again. */
export interface Target {
  /** `http` or `https`. */
  readonly proto: string;
  /** Host and port, as the client sent them in Host. */
  readonly host: string;
  /** `proto://host`. */
  readonly origin: string;
  /** The path, still percent-encoded, always starting with `/`. */
  readonly path: string;
  /** `?…` or `''`. */
  readonly query: string;
}

/**
 * Cut a Request's URL. It is always absolute and serialised by the URL
 * parser (`scheme://authority/path?query#fragment`), so plain slicing is safe.
 */
export function cutUrl(url: string): Target {
  const colon = url.indexOf(':');
  const authority = colon + 3;
  let pathStart = url.indexOf('/', authority);
  let end = url.indexOf('#', authority);
  if (end === -1) end = url.length;
  if (pathStart === -1 || pathStart > end) pathStart = end;
  let queryStart = url.indexOf('?', pathStart);
  if (queryStart === -1 || queryStart > end) queryStart = end;
  const origin = url.slice(0, pathStart);
  return {
    proto: url.slice(0, colon),
    host: url.slice(authority, pathStart),
    origin,
    path: pathStart === queryStart ? '/' : url.slice(pathStart, queryStart),
    query: url.slice(queryStart, end),
  };
}
