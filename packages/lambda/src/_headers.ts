// Anything but printable ASCII and tab.
const NOT_ASCII = /[^\t\x20-\x7e]/;
// oxlint-disable-next-line no-control-regex -- matching controls is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * A header value as every runtime presents it. HTTP header values are
 * bytes, and a Request holds them as one character a byte: Node shows a
 * client's UTF-8 "é" as the two characters "Ã©". Lambda hands over header
 * values already decoded, so a non-ASCII value is turned back into its
 * UTF-8 bytes, one character each, and reads the same as on Node (and
 * Headers, which refuses characters past U+00FF, never throws). Line
 * breaks and other controls are dropped.
 */
export function safeHeaderValue(value: string): string {
  if (!NOT_ASCII.test(value)) return value;
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
