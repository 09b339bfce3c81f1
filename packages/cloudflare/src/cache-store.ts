import type { CacheStore, StoredResponseHead, VariantsHead } from '@gatehouse/edge';

/** Options of {@link workersCacheStore}. */
export interface WorkersCacheStoreOptions {
  /**
   * The longest an entry is kept, in ms, whatever `put` asks for; a purge
   * by prefix is remembered this long. Defaults to 30 days. Stores that
   * share a cache should share this value: a store that remembers purges
   * for less time could forget one while another store's entries it hides
   * are still kept.
   */
  readonly maxKeepFor?: number;
  /**
   * Purges by prefix remembered at most. Past it the two oldest become one
   * for their common prefix, which hides more than was purged (entries
   * fetched again) but never less. Defaults to 1000.
   */
  readonly maxPurges?: number;
}

/** A purge by prefix: entries under `prefix` stored at or before `at` (ms since the epoch) are gone. */
interface Purge {
  readonly prefix: string;
  readonly at: number;
}

/** What the entry header carries besides the response: when the entry was stored and until when it is kept. */
interface Meta {
  readonly stored: number;
  readonly until: number;
  /** The head, when it is small enough for a header. */
  readonly head?: StoredResponseHead | VariantsHead;
  /** Otherwise: the head is the first `headBytes` bytes of the body, as UTF-8 JSON. */
  readonly headBytes?: number;
}

// `.invalid` is reserved (RFC 6761): these URLs never name a real site,
// so they cannot meet the keys of responses the Worker caches itself.
const ORIGIN = 'https://gatehouse-cache.invalid';
// The `entry:` in front keeps every encoded key a plain path segment: a key
// of `.` or `..` alone would be a dot segment the URL parser removes.
const ENTRY_PATH = `${ORIGIN}/entry:`;
const UTF16_PATH = `${ORIGIN}/entry-utf16:`;
const PURGES_URL = `${ORIGIN}/purges`;
const ENTRY_HEADER = 'x-gatehouse-entry';
// Heads above this go in the body instead: Cloudflare bounds the size of
// response headers, and a response's own fields can be long (CSP, Link).
const HEADER_MAX = 8 * 1024;
// How long an isolate uses the purge list it read before reading it again.
const PURGES_REFRESH = 1000;
const DAY = 24 * 60 * 60 * 1000;

/**
 * Cached responses in the Workers Cache API (`caches.default`, or a cache
 * of `caches.open(name)`): shared by every isolate of the Worker in a data
 * center, and by nothing outside it.
 *
 * The Cache API is per data center, so `delete` and `deletePrefix` drop
 * entries in the data center that runs them, not elsewhere; to purge
 * everywhere, use Cloudflare's zone purge API (its purge everything:
 * these entries are kept under made-up URLs, so a purge of the site's own
 * URLs does not name them).
 *
 * The Cache API cannot list its keys, so `deletePrefix` writes a marker
 * (the prefix and the time) to a list kept in the same cache, and `get`
 * treats an entry stored at or before a marker for its key as gone. An
 * isolate reads the list again at most once a second: a purge is seen at
 * once by the isolate that ran it and within about a second by the others
 * of its data center. Markers are kept as long as entries may be
 * (`maxKeepFor`, which also caps `keepFor`). Two purges by prefix at the
 * same moment in one data center can race (the list is read, then written
 * whole), and the list could be evicted by Cloudflare before the entries
 * it hides (unlikely: every isolate reads it each second); either way a
 * purged entry could come back until it expires.
 *
 * @example
 * ```ts
 * import { workersCacheStore } from '@gatehouse/cloudflare'
 *
 * const pages = workersCacheStore()  // caches.default
 * await pages.put(url, { head, body }, 60_000)
 * const hit = await pages.get(url)   // { head, body }, or undefined
 * await pages.deletePrefix('https://example.com/blog/')  // in this data center
 * ```
 */
export function workersCacheStore(cache?: Cache, options: WorkersCacheStoreOptions = {}): CacheStore {
  const store = cache ?? defaultCache();
  const maxKeepFor = options.maxKeepFor ?? 30 * DAY;
  if (!(maxKeepFor >= 1) || !Number.isFinite(maxKeepFor)) throw new TypeError(`workersCacheStore: maxKeepFor is a number of ms ≥ 1, not ${String(maxKeepFor)}`);
  const maxPurges = options.maxPurges ?? 1000;
  if (!Number.isInteger(maxPurges) || maxPurges < 1) throw new TypeError(`workersCacheStore: maxPurges is a whole number ≥ 1, not ${String(maxPurges)}`);

  // This isolate's copy of the purge list, and when it was read.
  let purges: readonly Purge[] = [];
  let readAt = -Infinity;
  let reading: Promise<readonly Purge[]> | undefined;
  // Counts the lists this isolate's purges wrote: a read that began before
  // one was written must not replace it here.
  let purged = 0;
  const currentPurges = (): Promise<readonly Purge[]> | readonly Purge[] => {
    if (Date.now() - readAt < PURGES_REFRESH) return purges;
    const before = purged;
    return (reading ??= readPurges(store)
      .then((read) => {
        if (purged === before) {
          purges = read;
          readAt = Date.now();
        }
        return purges;
      })
      .finally(() => (reading = undefined)));
  };

  return {
    async get(key) {
      const url = entryUrl(key);
      const [response, known] = await Promise.all([store.match(url), currentPurges()]);
      if (response === undefined) return undefined;
      const meta = parseMeta(response.headers.get(ENTRY_HEADER));
      const now = Date.now();
      if (meta === undefined || meta.until <= now || known.some((purge) => purge.at >= meta.stored && key.startsWith(purge.prefix))) {
        await response.body?.cancel();
        // Gone for good: free the space rather than match it again.
        await store.delete(url);
        return undefined;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (meta.head !== undefined) return { head: meta.head, body: bytes };
      const head = parseJson(new TextDecoder().decode(bytes.subarray(0, meta.headBytes)));
      if (!isHead(head)) return undefined;
      return { head, body: bytes.subarray(meta.headBytes) };
    },

    async put(key, entry, keepFor) {
      const url = entryUrl(key);
      if (!(keepFor > 0)) {
        // Kept for no time: what the key held is replaced by nothing.
        await store.delete(url);
        return;
      }
      const keep = Math.min(keepFor, maxKeepFor);
      const now = Date.now();
      // After a purge this isolate knows of, even in the same millisecond
      // (the clock of a Worker moves only between I/O): the entry is newer.
      const stored = Math.max(now, ...purges.map((purge) => purge.at + 1));
      // ASCII: its length is its length in bytes.
      const headJson = asciiJson(entry.head);
      const small = headJson.length <= HEADER_MAX;
      const times = `"stored":${stored},"until":${now + keep}`;
      const meta = small ? `{${times},"head":${headJson}}` : `{${times},"headBytes":${headJson.length}}`;
      const body = small ? entry.body : concat(new TextEncoder().encode(headJson), entry.body);
      // Only what the Cache API needs to keep the response for that long:
      // the entry's own fields (Set-Cookie, Vary, private…) live in the
      // JSON head, where the Cache API cannot act on them.
      const response = new Response(body, {
        headers: { 'cache-control': `s-maxage=${Math.ceil(keep / 1000)}`, [ENTRY_HEADER]: meta },
      });
      await store.put(url, response);
    },

    async delete(key) {
      await store.delete(entryUrl(key));
    },

    async deletePrefix(prefix) {
      const purge: Purge = { prefix, at: Date.now() };
      // Read, add, write, and check that the write stuck: another isolate
      // writing the list at the same moment may have written over it.
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = Date.now();
        const list = tidy([...(await readPurges(store)), ...purges, purge], now - maxKeepFor, maxPurges);
        await writePurges(store, list, maxKeepFor);
        purges = list;
        readAt = now;
        purged++;
        const written = await readPurges(store);
        if (covers(written, purge)) {
          purges = written;
          return;
        }
      }
    },
  };
}

function defaultCache(): Cache {
  const storage = (globalThis as { caches?: CacheStorage & { default?: Cache } }).caches;
  if (storage?.default === undefined) throw new TypeError('workersCacheStore: no caches.default here (it exists in workerd); give a Cache');
  return storage.default;
}

/** The URL an entry is kept under: the key, encoded whole into one path segment. */
function entryUrl(key: string): string {
  try {
    return ENTRY_PATH + encodeURIComponent(key);
  } catch {
    // A lone surrogate has no UTF-8: such a key is spelled as its UTF-16
    // code units in hex, under a path no encoded key can have.
    let units = '';
    for (let i = 0; i < key.length; i++) units += key.charCodeAt(i).toString(16).padStart(4, '0');
    return UTF16_PATH + units;
  }
}

/**
 * JSON in printable ASCII (a header value is a byte string): characters
 * past ASCII become `\uXXXX` escapes, which JSON.parse reads back as they were.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The entry header, or undefined when it is not one this store wrote. */
function parseMeta(value: string | null): Meta | undefined {
  if (value === null) return undefined;
  const meta = parseJson(value) as Partial<Meta> | undefined;
  if (typeof meta !== 'object' || meta === null || typeof meta.stored !== 'number' || typeof meta.until !== 'number') return undefined;
  if (meta.head !== undefined) return isHead(meta.head) ? (meta as Meta) : undefined;
  return Number.isInteger(meta.headBytes) && meta.headBytes! >= 0 ? (meta as Meta) : undefined;
}

function isHead(value: unknown): value is StoredResponseHead | VariantsHead {
  if (typeof value !== 'object' || value === null) return false;
  const head = value as Partial<StoredResponseHead & VariantsHead>;
  return (typeof head.status === 'number' && Array.isArray(head.headers)) || Array.isArray(head.varies);
}

async function readPurges(cache: Cache): Promise<readonly Purge[]> {
  const response = await cache.match(PURGES_URL);
  if (response === undefined) return [];
  const list = parseJson(await response.text());
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) =>
    Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'number' ? [{ prefix: item[0], at: item[1] }] : [],
  );
}

async function writePurges(cache: Cache, list: readonly Purge[], keepFor: number): Promise<void> {
  // Pairs, not objects: the list is read by every isolate every second.
  const body = JSON.stringify(list.map((purge) => [purge.prefix, purge.at]));
  await cache.put(PURGES_URL, new Response(body, { headers: { 'cache-control': `s-maxage=${Math.ceil(keepFor / 1000)}` } }));
}

/** Whether `list` hides at least what `purge` does. */
function covers(list: readonly Purge[], purge: Purge): boolean {
  return list.some((other) => other.at >= purge.at && purge.prefix.startsWith(other.prefix));
}

/**
 * The purges of `list` still needed, newest first: none older than
 * `since` (the entries they hid have expired), none that a newer purge of
 * a shorter prefix covers, and at most `max` (the oldest merged).
 */
function tidy(list: readonly Purge[], since: number, max: number): Purge[] {
  let kept: Purge[] = [];
  for (const purge of [...list].sort((a, b) => b.at - a.at)) if (purge.at > since && !covers(kept, purge)) kept.push(purge);
  while (kept.length > max) {
    const newer = kept[kept.length - 2]!;
    const older = kept[kept.length - 1]!;
    const merged: Purge = { prefix: commonPrefix(newer.prefix, older.prefix), at: newer.at };
    kept = tidy([...kept.slice(0, -2), merged], since, Infinity);
  }
  return kept;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
