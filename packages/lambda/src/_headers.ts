// A header value undici accepts: a ByteString without controls other than tab.
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
// oxlint-disable-next-line no-control-regex -- matching controls is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * A header value as a Request accepts it. Lambda hands over header values
 * as JavaScript strings, so a non-Latin-1 character (UTF-8 sent by a
 * client) would make `Headers` throw: it becomes its UTF-8 bytes, as Node
 * presents such a header. Line breaks and other controls are dropped.
 */
export function safeHeaderValue(value: string): string {
  if (!UNSAFE_VALUE.test(value)) return value;
  let bytes = '';
  for (const byte of new TextEncoder().encode(value)) bytes += String.fromCharCode(byte);
  return bytes.replace(CONTROLS, '');
}

/** Join a header's values the way HTTP folds them: Cookie with "; ", others with ", ". */
export function joinValues(name: string, values: readonly string[]): string {
  return values.join(name.toLowerCase() === 'cookie' ? '; ' : ', ');
}

/**
 * `count` spellings of `name` that differ only in letter case. ALB (in
 * single-value mode) and VPC Lattice take one value per header name, but
 * pass names through as written, and header names are case-insensitive:
 * each Set-Cookie gets a spelling of its own and reaches the client apart.
 */
export function caseVariants(name: string, count: number): string[] {
  const letters: number[] = [];
  for (let i = 0; i < name.length; i++) if (/[a-z]/i.test(name[i]!)) letters.push(i);
  if (count > 2 ** letters.length) throw new RangeError(`${name} cannot be spelled ${count} ways`);
  const variants: string[] = [];
  for (let n = 0; n < count; n++) {
    const chars = name.toLowerCase().split('');
    letters.forEach((at, bit) => {
      if (n & (1 << bit)) chars[at] = chars[at]!.toUpperCase();
    });
    variants.push(chars.join(''));
  }
  return variants;
}
