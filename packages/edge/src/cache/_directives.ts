/**
 * A `Cache-Control` field's directives (RFC 9111 §5.2), names lowercased;
 * a directive without a value maps to '' (so `has` tells it is there).
 * Quoted values are unquoted. Repeated fields arrive joined with commas,
 * which is how they combine.
 */
export function parseDirectives(field: string | null): ReadonlyMap<string, string> {
  const directives = new Map<string, string>();
  if (field === null) return directives;
  let i = 0;
  const length = field.length;
  while (i < length) {
    while (i < length && (field[i] === ',' || field[i] === ' ' || field[i] === '\t')) i++;
    const start = i;
    while (i < length && field[i] !== '=' && field[i] !== ',') i++;
    const name = field.slice(start, i).trim().toLowerCase();
    let value = '';
    if (field[i] === '=') {
      i++;
      while (i < length && (field[i] === ' ' || field[i] === '\t')) i++;
      if (field[i] === '"') {
        i++;
        let quoted = '';
        while (i < length && field[i] !== '"') {
          if (field[i] === '\\' && i + 1 < length) i++;
          quoted += field[i];
          i++;
        }
        i++;
        value = quoted;
        while (i < length && field[i] !== ',') i++;
      } else {
        const at = i;
        while (i < length && field[i] !== ',') i++;
        value = field.slice(at, i).trim();
      }
    }
    // The first of a repeated directive counts: a later one cannot loosen it.
    if (name !== '' && !directives.has(name)) directives.set(name, value);
  }
  return directives;
}

/**
 * A directive's delta-seconds, or undefined when it is absent. A value
 * that is not one (`max-age=soon`) counts as 0, as RFC 9111 §4.2.1 says
 * an invalid freshness must make the response stale.
 */
export function deltaSeconds(directives: ReadonlyMap<string, string>, name: string): number | undefined {
  const value = directives.get(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) return 0;
  // RFC 9111 §1.2.2: too large a value is 2^31, not an error.
  return Math.min(Number(value), 2 ** 31);
}
