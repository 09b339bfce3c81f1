/**
 * Split a Set-Cookie header that was folded into one line with commas back
 * into its cookies.
 *
 * A plain split on "," is wrong: `Expires=Wed, 21 Oct 2015 07:28:00 GMT`
 * holds a comma. A comma ends a cookie only when what follows it looks like
 * the start of a new one, `name=` (RFC 6265 §4.1.1: the cookie-name is a
 * token, so it holds no "=", ";" or ",", nor whitespace).
 *
 * @example
 * ```ts
 * splitSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT, b=2')
 * // → ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']
 * ```
 */
export function splitSetCookie(header: string): string[] {
  const cookies: string[] = [];
  let start = 0;
  let comma = header.indexOf(',');
  while (comma !== -1) {
    if (startsCookie(header, comma + 1)) {
      pushTrimmed(cookies, header.slice(start, comma));
      start = comma + 1;
    }
    comma = header.indexOf(',', comma + 1);
  }
  pushTrimmed(cookies, header.slice(start));
  return cookies;
}

/**
 * The Set-Cookie headers of a Headers object, one entry each, whether or not
 * the runtime's Headers implements `getSetCookie()`.
 */
export function getSetCookies(headers: Headers): string[] {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const folded = headers.get('set-cookie');
  return folded === null ? [] : splitSetCookie(folded);
}

function startsCookie(header: string, from: number): boolean {
  let i = from;
  while (i < header.length && (header.charCodeAt(i) === 0x20 || header.charCodeAt(i) === 0x09)) i++;
  const nameStart = i;
  for (; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (c === 0x3d /* = */) return i > nameStart;
    if (c === 0x3b /* ; */ || c === 0x2c /* , */ || c <= 0x20 || c === 0x7f) return false;
  }
  return false;
}

function pushTrimmed(into: string[], cookie: string): void {
  const trimmed = cookie.trim();
  if (trimmed !== '') into.push(trimmed);
}
