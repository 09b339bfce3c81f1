/**
 * nginx-style variables in redirect targets and rewrites: `$1`…`$9` and
 * `$name` (regex captures), `$scheme`, `$host`, `$uri` (the path),
 * `$args` (the query without `?`), `$is_args` (`?` when there is a query)
 * and `$request_uri` (path and query as sent). `${name}` separates a
 * variable from the text after it. An unknown variable is an error at
 * config time, not a silent empty string.
 */
export type Template = (values: TemplateValues) => string;

export interface TemplateValues {
  readonly url: URL;
  readonly captures: readonly string[];
  readonly groups: Readonly<Record<string, string>>;
}

const BUILT_IN = new Set(['scheme', 'host', 'uri', 'args', 'is_args', 'request_uri']);

/** Compile `source` once; throws naming the first unknown variable. `names` are the named captures available. */
export function compileTemplate(source: string, names: readonly string[] = []): Template {
  const parts: (string | ((values: TemplateValues) => string))[] = [];
  const pattern = /\$(?:\{(\w+)\}|(\d)|(\w+))/g;
  let last = 0;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    parts.push(source.slice(last, match.index));
    last = pattern.lastIndex;
    const name = match[1] ?? match[2] ?? match[3]!;
    parts.push(variable(name, names, source));
  }
  parts.push(source.slice(last));
  const pieces = parts.filter((part) => part !== '');
  return (values) => pieces.map((piece) => (typeof piece === 'string' ? piece : piece(values))).join('');
}

function variable(name: string, names: readonly string[], source: string): (values: TemplateValues) => string {
  if (/^\d$/.test(name)) {
    const index = Number(name);
    return (values) => values.captures[index] ?? '';
  }
  if (names.includes(name)) return (values) => values.groups[name] ?? '';
  if (!BUILT_IN.has(name)) throw new Error(`"${source}": unknown variable $${name}`);
  switch (name) {
    case 'scheme':
      return ({ url }) => url.protocol.slice(0, -1);
    case 'host':
      return ({ url }) => url.hostname;
    case 'uri':
      return ({ url }) => url.pathname;
    case 'args':
      return ({ url }) => url.search.slice(1);
    case 'is_args':
      return ({ url }) => (url.search === '' ? '' : '?');
    default:
      return ({ url }) => url.pathname + url.search;
  }
}

/** The named groups a regex source declares, to check templates against. */
export function namedGroups(regex: RegExp | undefined): string[] {
  if (regex === undefined) return [];
  return [...regex.source.matchAll(/\(\?<([a-zA-Z_]\w*)>/g)].map((match) => match[1]!);
}
