// Inside workerd, against its real Cache API: two stores on one cache
// stand for two isolates of the same Worker in one data center.
import type { CacheEntry } from '@gatehouse/edge';
import { cacheStoreContract } from '@gatehouse/test-support/cache-store-contract';
import { describe, expect, it, vi } from 'vitest';
import { workersCacheStore } from './cache-store.ts';

const run = `${Date.now()}-${Math.random()}`;
let keys = 0;
/** A key no other test (nor an earlier run) has used. */
const fresh = (name: string) => `https://site.test/${run}/${keys++}/${name}`;

function entry(text: string, headers: [string, string][] = [['content-type', 'text/plain']]): CacheEntry {
  return { head: { status: 200, headers, requestTime: 1, responseTime: 2 }, body: new TextEncoder().encode(text) };
}

const text = (got: CacheEntry | undefined) => (got === undefined ? undefined : new TextDecoder().decode(got.body));

describe('workersCacheStore', () => {
  cacheStoreContract(() => workersCacheStore());

  it('keeps a named cache apart from the default one', async () => {
    const key = fresh('apart');
    const named = workersCacheStore(await caches.open('x'));
    await named.put(key, entry('named'), 60_000);
    expect(await workersCacheStore().get(key)).toBeUndefined();
    expect(text(await named.get(key))).toBe('named');
  });

  it('keeps keys apart that a URL parser would fold together (dot segments, the empty key)', async () => {
    const store = workersCacheStore(await caches.open('dots'));
    const names = ['', '.', '..', '%2e', '%2E%2E', '/', './', '#frag', 'a\u0000b', '\u{1F600}'];
    for (const name of names) await store.put(name, entry(`[${name}]`), 60_000);
    for (const name of names) expect(text(await store.get(name)), JSON.stringify(name)).toBe(`[${name}]`);
  });

  it('keeps keys with a lone surrogate (no UTF-8 spelling) apart from each other and from U+FFFD', async () => {
    const store = workersCacheStore(await caches.open('surrogates'));
    const names = ['\ud800', '\udc00', 'a\ud800b', '\ufffd', 'a\ufffdb', '\ud800\udc00'];
    for (const [i, name] of names.entries()) await store.put(name, entry(String(i)), 60_000);
    // Compared by index: a lone surrogate in a failure message breaks the pool's WebSocket to vitest.
    for (const [i, name] of names.entries()) expect(text(await store.get(name)), `key ${i}`).toBe(String(i));
    await store.deletePrefix('a\ud800');
    expect(await store.get('a\ud800b')).toBeUndefined();
    expect(text(await store.get('a\ufffdb'))).toBe('4');
  });

  it('keeps fields the Cache API would refuse or drop, and non-ASCII ones, in the head only', async () => {
    const store = workersCacheStore();
    const key = fresh('fields');
    const headers: [string, string][] = [
      ['set-cookie', 'a=1'],
      ['cache-control', 'private, no-store, no-cache'],
      ['vary', '*'],
      ['content-disposition', 'attachment; filename="résumé €.pdf"'],
      ['x-emoji', '\u{1F600}'],
    ];
    const body = new Uint8Array([1, 2]);
    await store.put(key, { head: { status: 206, headers, requestTime: 1, responseTime: 2 }, body }, 60_000);
    // What it was given is the caller's still (a store may hand the same object to others).
    expect([...body]).toEqual([1, 2]);
    const got = await store.get(key);
    expect(got?.head).toEqual({ status: 206, headers, requestTime: 1, responseTime: 2 });
    expect([...got!.body]).toEqual([1, 2]);
  });

  it('gives the Cache API a response it keeps: its own Cache-Control and the entry header, none of the entry fields', async () => {
    const cache = await caches.open('raw');
    const key = fresh('raw');
    await workersCacheStore(cache).put(key, entry('raw', [['set-cookie', 'a=1'], ['vary', '*']]), 90_500);
    // The URL the store makes, looked at directly.
    const raw = await cache.match(`https://gatehouse-cache.invalid/entry:${encodeURIComponent(key)}`);
    expect(raw?.headers.get('cache-control')).toBe('s-maxage=91');
    expect(raw?.headers.get('set-cookie')).toBeNull();
    expect(raw?.headers.get('vary')).toBeNull();
    expect(raw?.headers.get('x-gatehouse-entry')).toMatch(/^\{"stored":\d+,"until":\d+,"head":\{/);
    expect(await raw?.text()).toBe('raw');
  });

  it('keeps a head too large for a header, in the body ahead of the response body', async () => {
    const store = workersCacheStore();
    const key = fresh('large-head');
    const headers: [string, string][] = Array.from({ length: 40 }, (_, i) => [`x-long-${i}`, `${'é'.repeat(500)}${i}`]);
    await store.put(key, entry('after the head', headers), 60_000);
    const got = await store.get(key);
    expect(got?.head).toEqual(entry('', headers).head);
    expect(text(got)).toBe('after the head');
  });

  it('hides what a purge by prefix dropped: at once in the isolate that ran it, within about a second in another', async () => {
    const cache = await caches.open('purge-shared');
    const purging = workersCacheStore(cache);
    const other = workersCacheStore(cache);
    const under = fresh('section/');
    await purging.put(`${under}a`, entry('a'), 60_000);
    await purging.put(`${under}b`, entry('b'), 60_000);
    await purging.put(fresh('elsewhere'), entry('elsewhere'), 60_000);
    // The other isolate has read the purge list (and will use it for up to a second).
    expect(text(await other.get(`${under}a`))).toBe('a');

    await purging.deletePrefix(under);
    expect(await purging.get(`${under}a`)).toBeUndefined();
    // No event says when the other isolate reads the list again: polled, for at most 5 s.
    await vi.waitFor(async () => expect(await other.get(`${under}b`)).toBeUndefined(), { timeout: 5_000, interval: 50 });
    // A store made later (a new isolate) reads the list on its first look.
    expect(await workersCacheStore(cache).get(`${under}b`)).toBeUndefined();
  }, 10_000);

  it('keeps its own purge over a read of the list that began before it', async () => {
    const real = await caches.open('purge-race');
    // The first read of the purge list gets the list as it was, then waits to be let go.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    const cache = {
      async match(url: string) {
        const response = await real.match(url);
        if (holding && url.endsWith('/purges')) {
          holding = false;
          await held;
        }
        return response;
      },
      put: (url: string, response: Response) => real.put(url, response),
      delete: (url: string) => real.delete(url),
    } as unknown as Cache;
    const store = workersCacheStore(cache);
    const under = fresh('race/');
    await store.put(`${under}a`, entry('a'), 60_000);
    await store.put(`${under}b`, entry('b'), 60_000);
    const reading = store.get(`${under}a`);
    await store.deletePrefix(under);
    release();
    await reading;
    expect(await store.get(`${under}b`)).toBeUndefined();
  });

  it('keeps what was put after a purge of its prefix, even within the same millisecond', async () => {
    const cache = await caches.open('purge-then-put');
    const store = workersCacheStore(cache);
    const under = fresh('p/');
    // One millisecond for all of it (a Worker's clock moves only between I/O, so this happens).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      await store.put(`${under}old`, entry('old'), 60_000);
      await store.deletePrefix(under);
      expect(await store.get(`${under}old`)).toBeUndefined();
      await store.put(`${under}new`, entry('new'), 60_000);
      await store.put(`${under}old`, entry('old again'), 60_000);
      expect(text(await store.get(`${under}new`))).toBe('new');
      expect(text(await store.get(`${under}old`))).toBe('old again');
      // As another isolate sees them, once it has read the list.
      const other = workersCacheStore(cache);
      expect(text(await other.get(`${under}new`))).toBe('new');
      expect(text(await other.get(`${under}old`))).toBe('old again');
    } finally {
      vi.useRealTimers();
    }
  });

  it('remembers purges by prefix across stores and keeps them as few as it can', async () => {
    const cache = await caches.open('purge-many');
    const first = workersCacheStore(cache, { maxPurges: 3 });
    const second = workersCacheStore(cache, { maxPurges: 3 });
    const base = fresh('many/');
    const names = ['a/1', 'b/1', 'c/1', 'd/1', 'x'];
    for (const name of names) await first.put(`${base}${name}`, entry(name), 60_000);
    // Two stores purge in turn: each adds to the list the other wrote.
    await first.deletePrefix(`${base}a/`);
    await second.deletePrefix(`${base}b/`);
    await first.deletePrefix(`${base}c/`);
    await second.deletePrefix(`${base}d/`);
    const fresher = workersCacheStore(cache);
    for (const name of ['a/1', 'b/1', 'c/1', 'd/1']) expect(await fresher.get(`${base}${name}`), name).toBeUndefined();
    // Four purges, room for three: the two oldest became one for `…/many/`,
    // which hides more than was purged (never less).
    expect(await fresher.get(`${base}x`)).toBeUndefined();
    // The shared list stays bounded: new entries under the merged prefix are kept.
    await first.put(`${base}x`, entry('x'), 60_000);
    expect(text(await workersCacheStore(cache).get(`${base}x`))).toBe('x');
  });

  it('keeps an entry no longer than maxKeepFor, whatever put asks for', async () => {
    const store = workersCacheStore(await caches.open('capped'), { maxKeepFor: 1_000 });
    const key = fresh('capped');
    await store.put(key, entry('capped'), 24 * 60 * 60 * 1000);
    expect(text(await store.get(key))).toBe('capped');
    await vi.waitFor(async () => expect(await store.get(key)).toBeUndefined(), { timeout: 5_000, interval: 100 });
  }, 10_000);

  it('puts for no time as a delete', async () => {
    const store = workersCacheStore();
    const key = fresh('zero');
    await store.put(key, entry('kept'), 60_000);
    await store.put(key, entry('not kept'), 0);
    expect(await store.get(key)).toBeUndefined();
  });

  it('refuses options that are not amounts', () => {
    expect(() => workersCacheStore(undefined, { maxKeepFor: 0 })).toThrow(/maxKeepFor/);
    expect(() => workersCacheStore(undefined, { maxKeepFor: Infinity })).toThrow(/maxKeepFor/);
    expect(() => workersCacheStore(undefined, { maxPurges: 0.5 })).toThrow(/maxPurges/);
  });
});
