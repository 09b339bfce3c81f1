import type { FieldReader } from '@gatehouse/core';

/** What preconditions are checked against: a representation's entity tag and Last-Modified (whole seconds). */
export interface Validators {
  readonly etag: string | undefined;
  readonly modifiedSeconds: number | undefined;
}

/**
 * RFC 9110 §13.2.2, for GET and HEAD: If-Match, else If-Unmodified-Since
 * (412 when it fails); then If-None-Match, else If-Modified-Since (304
 * when the client's copy is current).
 */
export function evaluatePreconditions(headers: FieldReader, own: Validators): 200 | 304 | 412 {
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null) {
    if (!matchesTag(ifMatch, own.etag, false)) return 412;
  } else if (own.modifiedSeconds !== undefined) {
    const ifUnmodifiedSince = headers.get('if-unmodified-since');
    if (ifUnmodifiedSince !== null) {
      const since = parseHttpDate(ifUnmodifiedSince);
      if (!Number.isNaN(since) && own.modifiedSeconds > seconds(since)) return 412;
    }
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) return matchesTag(ifNoneMatch, own.etag, true) ? 304 : 200;
  if (own.modifiedSeconds !== undefined) {
    const ifModifiedSince = headers.get('if-modified-since');
    if (ifModifiedSince !== null) {
      const since = parseHttpDate(ifModifiedSince);
      if (!Number.isNaN(since) && own.modifiedSeconds <= seconds(since)) return 304;
    }
  }
  return 200;
}

/**
 * Whether a `Range` applies under `If-Range` (RFC 9110 §13.1.5): always
 * without one; with an entity tag, when it is strong and ours; with a
 * date, when it is exactly our Last-Modified.
 */
export function ifRangeHolds(ifRange: string | null, own: Validators): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value.startsWith('"') && own.etag !== undefined && matchesEtag(value, own.etag, false);
  if (own.modifiedSeconds === undefined) return false;
  const date = parseHttpDate(value);
  return !Number.isNaN(date) && seconds(date) === own.modifiedSeconds;
}

/** A list against an entity tag we may not have: then only `*` matches. */
function matchesTag(header: string, etag: string | undefined, weak: boolean): boolean {
  return etag === undefined ? header.trim() === '*' : matchesEtag(header, etag, weak);
}

/**
 * Whether `etag` is among an `If-None-Match` or `If-Match` list. `*`
 * matches any current representation. `weak` compares as RFC 9110 §8.8.3.2
 * says If-None-Match must (opaque tags equal, `W/` ignored); otherwise the
 * strong comparison If-Match and If-Range need (neither side weak).
 */
export function matchesEtag(header: string, etag: string, weak: boolean): boolean {
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  const ownWeak = etag.startsWith('W/');
  if (!weak && ownWeak) return false;
  const own = ownWeak ? etag.slice(2) : etag;
  let i = 0;
  const length = trimmed.length;
  while (i < length) {
    // Skip separators and white space between list members.
    let code = trimmed.charCodeAt(i);
    if (code === 0x2c || code === 0x20 || code === 0x09) {
      i++;
      continue;
    }
    let isWeak = false;
    if (code === 0x57 /* W */ && trimmed.charCodeAt(i + 1) === 0x2f /* / */) {
      isWeak = true;
      i += 2;
      code = trimmed.charCodeAt(i);
    }
    if (code !== 0x22 /* " */) return false; // malformed: nothing in it can be trusted to match
    const close = trimmed.indexOf('"', i + 1);
    if (close === -1) return false;
    const tag = trimmed.slice(i, close + 1);
    if (tag === own && (weak || !isWeak)) return true;
    i = close + 1;
  }
  return false;
}

const ASCTIME = /^\w{3} (\w{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})$/;

/**
 * An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms)
 * in milliseconds since the epoch, or NaN.
 */
export function parseHttpDate(value: string): number {
  const trimmed = value.trim();
  // The first two forms name GMT; without a zone Date.parse would read local time.
  if (trimmed.endsWith(' GMT')) return Date.parse(trimmed);
  const asctime = ASCTIME.exec(trimmed);
  if (asctime === null) return Number.NaN;
  return Date.parse(`${asctime[2]} ${asctime[1]} ${asctime[4]} ${asctime[3]} GMT`);
}

/** Seconds since the epoch, as HTTP dates count. */
export function seconds(time: number): number {
  return Math.floor(time / 1000);
}
