/**
 * nginx `server_name` matching, to choose a site by the request's Host:
 *
 * 1. an exact name (`example.com`);
 * 2. the longest wildcard name starting with an asterisk (`*.example.com`);
 *    `.example.com` is both `example.com` and `*.example.com`;
 * 3. the longest wildcard name ending with an asterisk (`mail.*`);
 * 4. the first regular expression, in the order written (`~^(?<user>.+)\.example\.net$`);
 * 5. the default site (the one marked default, else the first).
 *
 * Host names are compared in lower case, without port or trailing dot.
 */
export class ServerNames<T> {
  readonly #exact = new Map<string, T>();
  /** `*.example.com` stored as `.example.com`, longest first. */
  readonly #leading: [suffix: string, value: T][] = [];
  /** `mail.*` stored as `mail.`, longest first. */
  readonly #trailing: [prefix: string, value: T][] = [];
  readonly #regexes: [regex: RegExp, value: T][] = [];
  readonly #default: T;
  /** No names to match (one site, the usual case): every Host gets the default. */
  readonly #onlyDefault: boolean;

  constructor(sites: Iterable<{ names: readonly string[]; value: T; default?: boolean }>) {
    let fallback: { value: T } | undefined;
    let first: { value: T } | undefined;
    for (const site of sites) {
      first ??= { value: site.value };
      if (site.default === true) {
        if (fallback !== undefined) throw new Error('more than one site is marked default');
        fallback = { value: site.value };
      }
      for (const raw of site.names) this.#add(raw, site.value);
    }
    if (first === undefined) throw new Error('the edge needs at least one site');
    this.#default = (fallback ?? first).value;
    this.#leading.sort((a, b) => b[0].length - a[0].length);
    this.#trailing.sort((a, b) => b[0].length - a[0].length);
    this.#onlyDefault = this.#exact.size + this.#leading.length + this.#trailing.length + this.#regexes.length === 0;
  }

  #add(raw: string, value: T): void {
    const name = raw.trim();
    if (name.startsWith('~')) {
      try {
        this.#regexes.push([new RegExp(name.slice(1), 'i'), value]);
      } catch (error) {
        throw new Error(`server name "${raw}": ${(error as Error).message}`, { cause: error });
      }
      return;
    }
    const lower = name.toLowerCase();
    if (lower.startsWith('*.')) this.#leading.push([lower.slice(1), value]);
    else if (lower.startsWith('.')) {
      this.#exact.set(lower.slice(1), value);
      this.#leading.push([lower, value]);
    } else if (lower.endsWith('.*')) this.#trailing.push([lower.slice(0, -1), value]);
    else if (lower.includes('*')) throw new Error(`server name "${raw}": a wildcard goes only at the start ("*.") or the end (".*")`);
    else if (!this.#exact.has(lower)) this.#exact.set(lower, value);
  }

  /** The site for a `Host` header value (with or without port); the default one when nothing matches. */
  match(host: string | null): T {
    if (this.#onlyDefault || host === null || host === '') return this.#default;
    const name = hostname(host);
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    for (const [suffix, value] of this.#leading) if (name.endsWith(suffix) && name.length > suffix.length) return value;
    for (const [prefix, value] of this.#trailing) if (name.startsWith(prefix) && name.length > prefix.length) return value;
    for (const [regex, value] of this.#regexes) if (regex.test(name)) return value;
    return this.#default;
  }
}

/** `Example.COM.:8443` → `example.com`; `[::1]:80` → `[::1]`. */
function hostname(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    return end === -1 ? name : name.slice(0, end + 1);
  }
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
