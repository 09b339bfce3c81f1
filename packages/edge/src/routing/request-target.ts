/** The parts of a request's URL that routing reads. */
export interface RequestTarget {
  /** Host and port, as `URL.host` gives them. */
  readonly host: string;
  /** The path, still percent-encoded, as `URL.pathname` gives it. */
  readonly pathname: string;
}

/**
 * The host and path of `request.url`, without parsing a `URL`: a Request's
 * URL is one the runtime already parsed and serialized (lowercase scheme
 * and host, no credentials, no fragment), so slicing it gives what `URL`
 * would, at a fraction of the cost on every request. Anything unexpected
 * goes through `URL`.
 */
export function requestTarget(url: string): RequestTarget {
  const start = url.startsWith('https://') ? 8 : url.startsWith('http://') ? 7 : -1;
  if (start !== -1) {
    const slash = url.indexOf('/', start);
    if (slash !== -1) {
      const query = url.indexOf('?', slash);
      const host = url.slice(start, slash);
      if (!host.includes('@') && !url.includes('#', slash)) {
        return { host, pathname: query === -1 ? url.slice(slash) : url.slice(slash, query) };
      }
    }
  }
  const parsed = new URL(url);
  return { host: parsed.host, pathname: parsed.pathname };
}
