const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

/**
 * The `Cache-Control` a static file gets unless its route says otherwise:
 * a year and `immutable` for a file whose name carries a content hash
 * (see {@link hasContentHash}), since a new build gives it a new name;
 * `public, max-age=0, must-revalidate` for every other file, which caches
 * may keep but must check (cheaply, with a 304) before each use.
 *
 * @example
 * ```ts
 * import { createStaticHandler, defaultCacheControl } from '@gatehouse/edge'
 *
 * // Everything under /fonts/ is versioned by folder: cache it for a year too.
 * const statics = createStaticHandler({
 *   cacheControl: (path) =>
 *     path.startsWith('/fonts/') ? 'public, max-age=31536000, immutable' : defaultCacheControl(path),
 * })
 * ```
 */
export function defaultCacheControl(path: string): string {
  return hasContentHash(path) ? IMMUTABLE : REVALIDATE;
}

// A name, then `.` or `-`, then the hash, then one extension (and `.map`).
const HASHED = /[.-]([A-Za-z0-9]{8,64})\.([A-Za-z0-9]{1,12})(?:\.map)?$/;
const HEX = /^[0-9a-f]+$/;
const UPPER_AND_DIGITS = /^[A-Z0-9]+$/;
const CAMEL_CASE_WORDS = /^(?:[A-Z][a-z]+)+$/;

/**
 * Whether a file name carries a content hash the way bundlers write them:
 * hex (webpack, Parcel, Angular, Next.js: `app.3f2a9c1b.js`), esbuild's
 * base32 (`chunk-5D3KQ2ZC.js`) or Rollup and Vite's base64url
 * (`index-B6zL4Zr9.js`), after a `.` or `-`, before the extension.
 *
 * A file called immutable that then changes stays stale in browsers for a
 * year, so the test leans to "no": HTML is never hashed; hex must mix
 * digits and letters; the other alphabets must be exactly 8 characters,
 * esbuild's with a digit, Rollup's with both cases and either a digit or
 * not reading as CamelCase words (`MyWidget`). Dimensions (`1024x1024`),
 * words with numbers (`summer2024`), dates and versions are not hashes.
 * Some real hashes fail the test (a Vite hash that happens to contain a
 * `-` or `_`, or to read as words); those files just get revalidated.
 */
export function hasContentHash(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const match = HASHED.exec(name);
  if (match === null) return false;
  const hash = match[1]!;
  const extension = match[2]!.toLowerCase();
  if (extension === 'html' || extension === 'htm') return false;
  if (HEX.test(hash)) return /[0-9]/.test(hash) && /[a-f]/.test(hash);
  if (hash.length !== 8) return false;
  if (UPPER_AND_DIGITS.test(hash)) return /[0-9]/.test(hash) && /[A-Z]/.test(hash);
  if (!/[A-Z]/.test(hash) || !/[a-z]/.test(hash)) return false;
  return /[0-9]/.test(hash) || !CAMEL_CASE_WORDS.test(hash);
}
