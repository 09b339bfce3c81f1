// fatal: malformed and overlong sequences and lone surrogates are errors,
// never U+FFFD. ignoreBOM: a leading EF BB BF stays a character; the
// default would drop it silently.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Turn a request URL's pathname, as `new URL(request.url).pathname` gives
 * it (ASCII, percent-encoded), into the path an `AssetStore` is asked
 * for, or `null` when it must be refused (answer 400, or pass the request
 * on: it names no file).
 *
 * Percent-escapes are decoded exactly once, as UTF-8, so `%252e` becomes
 * the three characters `%2e`, never a dot. Runs of `/` collapse into one
 * and a trailing `/` is kept (the handler looks for an index file there).
 * Refused:
 * - anything not starting with `/`, and raw characters a URL never holds
 *   in a path (controls, space, non-ASCII, backslash);
 * - malformed escapes (`%`, `%2`, `%zz`, `%u002e`) and bytes that are not
 *   UTF-8: overlong forms such as `%c0%ae`, surrogates, truncated sequences;
 * - an encoded slash (`%2f`): a file name cannot hold one, and decoding it
 *   into a separator would let one segment turn into several;
 * - decoded backslashes, NUL and every other control character;
 * - `.` and `..` segments, and every segment ending in `.` or a space
 *   (Windows drops those, so `secret.txt.` would name `secret.txt`);
 * - segments that Unicode compatibility forms (NFKC) turn into a dot
 *   segment or a slash: `．．`, `‥`, `／`, `＼`.
 *
 * @example
 * ```ts
 * import { safePath } from '@gatehouse/edge'
 *
 * safePath('/docs/a%20b.txt') // '/docs/a b.txt'
 * safePath('//assets///app.js') // '/assets/app.js'
 * safePath('/static/%2e%2e/secret') // null
 * safePath('/%252e%252e/x') // '/%2e%2e/x': a literal name, not a parent
 * ```
 */
export function safePath(pathname: string): string | null {
  const length = pathname.length;
  if (length === 0 || pathname.charCodeAt(0) !== 0x2f) return null;

  let bytes: Uint8Array | undefined;
  let count = 0;
  for (let i = 0; i < length; i++) {
    const code = pathname.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const value = i + 2 < length ? (hex(pathname.charCodeAt(i + 1)) << 4) | hex(pathname.charCodeAt(i + 2)) : -1;
      if (value < 0) return null;
      if (value === 0x2f /* / */) return null;
      if (bytes === undefined) {
        bytes = copyPrefix(pathname, i);
        count = i;
      }
      bytes[count++] = value;
      i += 2;
      continue;
    }
    // Printable ASCII only; a backslash is a separator somewhere.
    if (code <= 0x20 || code >= 0x7f || code === 0x5c) return null;
    if (bytes !== undefined) bytes[count++] = code;
  }

  if (bytes === undefined) return normalise(pathname);
  let decoded: string;
  try {
    decoded = utf8.decode(bytes.subarray(0, count));
  } catch {
    return null;
  }
  return normalise(decoded);
}

/** Collapse `//`, check every segment, keep a trailing slash. */
function normalise(decoded: string): string | null {
  let out = '';
  let start = 1;
  const length = decoded.length;
  while (start <= length) {
    let end = decoded.indexOf('/', start);
    if (end === -1) end = length;
    if (end > start) {
      const segment = decoded.slice(start, end);
      if (!acceptable(segment)) return null;
      out += `/${segment}`;
    }
    start = end + 1;
  }
  if (out === '') return '/';
  return decoded.charCodeAt(length - 1) === 0x2f ? `${out}/` : out;
}

function acceptable(segment: string): boolean {
  let ascii = true;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    // C0 controls (NUL among them), DEL and C1 controls; a decoded backslash.
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x5c) return false;
    if (code > 0x7f) ascii = false;
  }
  const last = segment.charCodeAt(segment.length - 1);
  if (last === 0x2e /* . */ || last === 0x20) return false;
  if (ascii) return true;
  // A store, a file system or a later layer may fold compatibility forms.
  const folded = segment.normalize('NFKC');
  if (folded === segment) return true;
  return !(folded.includes('/') || folded.includes('\\') || folded.includes('\0') || folded.endsWith('.') || folded.endsWith(' '));
}

function copyPrefix(pathname: string, upTo: number): Uint8Array {
  // Never longer than the input: an escape is three characters for one byte.
  const bytes = new Uint8Array(pathname.length);
  for (let i = 0; i < upTo; i++) bytes[i] = pathname.charCodeAt(i);
  return bytes;
}

function hex(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -256;
}

/**
 * Whether `path` is a store path as {@link safePath} makes them: `/`, then
 * segments with no `.` or `..` among them, no backslash, no control
 * character, no `//`; a trailing `/` allowed. Cheaper than `safePath`, for
 * checking a path that should already be one.
 */
export function isStorePath(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  let segmentStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const code = i === path.length ? 0x2f : path.charCodeAt(i);
    if (code === 0x2f) {
      if (i === segmentStart) {
        // An empty segment: only the one after a trailing slash (or the root) is fine.
        if (i !== path.length) return false;
      } else {
        const last = path.charCodeAt(i - 1);
        if (last === 0x2e || last === 0x20) return false;
      }
      segmentStart = i + 1;
    } else if (code < 0x20 || code === 0x7f || code === 0x5c) {
      return false;
    }
  }
  return true;
}
