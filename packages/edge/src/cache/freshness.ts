import { parseHttpDate } from '../static/_conditional.ts';
import { deltaSeconds } from './_directives.ts';
import type { StoredResponseHead } from './cache-store.ts';

/** Statuses RFC 9111 §4.2.2 lets a cache give a heuristic (or a configured default) freshness. */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** The settings freshness depends on, from the route's rules. */
export interface FreshnessSettings {
  readonly ttl: ReadonlyMap<number, number>;
  readonly heuristic: number;
}

/** A field of a stored head (names are lowercased there). */
export function fieldOf(head: StoredResponseHead, name: string): string | null {
  for (const [field, value] of head.headers) if (field === name) return value;
  return null;
}

/**
 * Seconds the response is fresh for, counted from its generation
 * (RFC 9111 §4.2.1, as a shared cache): `s-maxage`, else `max-age`, else
 * `Expires` − `Date`, else the route's `ttl` for its status, else the
 * heuristic share of the time since `Last-Modified`; else 0.
 */
export function freshnessLifetime(head: StoredResponseHead, directives: ReadonlyMap<string, string>, settings: FreshnessSettings): number {
  const shared = deltaSeconds(directives, 's-maxage');
  if (shared !== undefined) return shared;
  const maxAge = deltaSeconds(directives, 'max-age');
  if (maxAge !== undefined) return maxAge;
  const expires = fieldOf(head, 'expires');
  if (expires !== null) {
    const at = parseHttpDate(expires);
    // An invalid Expires ("0", "-1") means already expired.
    if (Number.isNaN(at)) return 0;
    return Math.max(0, (at - dateOf(head)) / 1000);
  }
  const ttl = settings.ttl.get(head.status);
  if (ttl !== undefined) return ttl;
  if (settings.heuristic > 0 && (HEURISTIC_STATUSES.has(head.status) || directives.has('public'))) {
    const lastModified = fieldOf(head, 'last-modified');
    const modified = lastModified === null ? Number.NaN : parseHttpDate(lastModified);
    if (!Number.isNaN(modified)) return Math.max(0, ((dateOf(head) - modified) / 1000) * settings.heuristic);
  }
  return 0;
}

/**
 * The response's age in seconds at `now` (RFC 9111 §4.2.3): the larger of
 * what its `Date` says and what its `Age` plus the round trip say, plus
 * the time it has been stored.
 */
export function currentAge(head: StoredResponseHead, now: number): number {
  const ageField = fieldOf(head, 'age');
  const ageValue = ageField !== null && /^\d+$/.test(ageField) ? Number(ageField) : 0;
  // Date counts whole seconds: a response dated this second is not older than that.
  const apparentAge = Math.max(0, (Math.floor(head.responseTime / 1000) * 1000 - dateOf(head)) / 1000);
  const responseDelay = Math.max(0, (head.responseTime - head.requestTime) / 1000);
  const correctedInitialAge = Math.max(apparentAge, ageValue + responseDelay);
  return correctedInitialAge + Math.max(0, (now - head.responseTime) / 1000);
}

/** Its `Date`, or when it arrived if it has none that parses. */
function dateOf(head: StoredResponseHead): number {
  const date = fieldOf(head, 'date');
  const at = date === null ? Number.NaN : parseHttpDate(date);
  return Number.isNaN(at) ? head.responseTime : at;
}
