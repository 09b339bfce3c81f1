/**
 * nginx `location` matching. A location is written as nginx writes it:
 *
 * - `= /path`: exact match; wins at once.
 * - `^~ /prefix`: prefix match that, when it is the longest prefix, stops
 *   the regex search.
 * - `~ regex` and `~* regex`: regular expressions, case-sensitive and not,
 *   tried in the order they are written; the first that matches wins.
 * - `/prefix`: prefix match; the longest wins, unless a regex matches.
 *
 * The precedence is nginx's: exact, then the longest prefix if it is `^~`,
 * then the first matching regex, then the longest prefix.
 */

/** One location, parsed. */
export interface Location<T> {
  /** As written in the config, for messages. */
  readonly pattern: string;
  readonly kind: 'exact' | 'prefix' | 'prefix-stop' | 'regex';
  /** The path (exact and prefix kinds). */
  readonly path: string;
  /** The expression (regex kind). */
  readonly regex: RegExp | undefined;
  readonly value: T;
}

/** What matched a path, with the regex's captures (`$1`…, named ones by name). */
export interface LocationMatch<T> {
  readonly location: Location<T>;
  /** Positional captures, `captures[1]` being `$1`; empty for non-regex locations. */
  readonly captures: readonly string[];
  readonly groups: Readonly<Record<string, string>>;
}

const NO_CAPTURES: readonly string[] = Object.freeze([]);
const NO_GROUPS: Readonly<Record<string, string>> = Object.freeze({});

/** Parse one nginx location string; throws with the pattern named when it is not one. */
export function parseLocation<T>(pattern: string, value: T): Location<T> {
  const match = /^\s*(=|\^~|~\*|~)?\s*(.*?)\s*$/s.exec(pattern)!;
  const modifier = match[1];
  const rest = match[2]!;
  if (rest === '') throw new Error(`location "${pattern}" has no path or expression`);
  if (modifier === '~' || modifier === '~*') {
    let regex: RegExp;
    try {
      regex = new RegExp(rest, modifier === '~*' ? 'i' : '');
    } catch (error) {
      throw new Error(`location "${pattern}": ${(error as Error).message}`, { cause: error });
    }
    return { pattern, kind: 'regex', path: '', regex, value };
  }
  if (!rest.startsWith('/')) throw new Error(`location "${pattern}": a path must start with "/"`);
  const kind = modifier === '=' ? 'exact' : modifier === '^~' ? 'prefix-stop' : 'prefix';
  return { pattern, kind, path: rest, regex: undefined, value };
}

/** A set of locations, ready to match paths against, nginx's way. */
export class LocationTable<T> {
  readonly #exact = new Map<string, Location<T>>();
  /** Longest first, so the first that matches is the longest. */
  readonly #prefixes: Location<T>[] = [];
  readonly #regexes: Location<T>[] = [];

  constructor(locations: Iterable<Location<T>>) {
    for (const location of locations) {
      switch (location.kind) {
        case 'exact':
          if (this.#exact.has(location.path)) throw new Error(`location "${location.pattern}" is defined twice`);
          this.#exact.set(location.path, location);
          break;
        case 'regex':
          this.#regexes.push(location);
          break;
        default:
          if (this.#prefixes.some((other) => other.path === location.path)) {
            throw new Error(`location "${location.pattern}" is defined twice`);
          }
          this.#prefixes.push(location);
      }
    }
    this.#prefixes.sort((a, b) => b.path.length - a.path.length);
  }

  /** The location `path` goes to, or undefined when none matches (nginx answers 404). */
  match(path: string): LocationMatch<T> | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined) return { location: exact, captures: NO_CAPTURES, groups: NO_GROUPS };
    const prefix = this.#prefixes.find((location) => path.startsWith(location.path));
    if (prefix?.kind !== 'prefix-stop') {
      for (const location of this.#regexes) {
        const found = location.regex!.exec(path);
        if (found !== null) {
          return {
            location,
            captures: found.map((capture) => capture ?? ''),
            groups: (found.groups as Record<string, string> | undefined) ?? NO_GROUPS,
          };
        }
      }
    }
    return prefix === undefined ? undefined : { location: prefix, captures: NO_CAPTURES, groups: NO_GROUPS };
  }
}
