// What every CacheStore must do, run against each store where it lives
// (memory in Node, the Cache API in workerd, Redis against a real server).
import type { CacheEntry, CacheStore } from '@gatehouse/edge';
import { expect, it } from 'vitest';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function response(body: string | Uint8Array, at = 1_700_000_000_000): CacheEntry {
  return {
    head: {
      status: 200,
      headers: [
        ['content-type', 'text/plain; charset=utf-8'],
        ['link', '</a.css>; rel=preload'],
        ['link', '</b.js>; rel=preload'],
        ['etag', '"v1"'],
      ],
      requestTime: at - 5,
      responseTime: at,
      varied: { 'accept-language': 'fr', 'x-absent': null },
    },
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  };
}

/**
 * The store contract, as `it` blocks in the caller's `describe`. `unique`
 * makes keys no other run has used (stores that outlive a test run keep
 * what earlier runs put).
 */
export function cacheStoreContract(make: () => CacheStore | Promise<CacheStore>, unique: string = `${Date.now()}-${Math.random()}`): void {
  const key = (name: string) => `https://site.test/${unique}/${name}`;

  it('keeps an entry as given: status, fields in order (repeated ones too), times, Vary values and body bytes', async () => {
    const store = await make();
    expect(await store.get(key('none'))).toBeUndefined();
    const bytes = new Uint8Array(256 * 1024 + 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const entry = response(bytes);
    await store.put(key('binary'), entry, 60_000);
    const got = await store.get(key('binary'));
    expect(got?.head).toEqual(entry.head);
    expect(got?.body).toBeInstanceOf(Uint8Array);
    expect(sameBytes(got!.body, bytes)).toBe(true);
  });

  it('keeps a Vary record, and an empty body', async () => {
    const store = await make();
    await store.put(key('varies'), { head: { varies: ['accept-language', 'x-mode'], responseTime: 5 }, body: new Uint8Array(0) }, 60_000);
    const got = await store.get(key('varies'));
    expect(got?.head).toEqual({ varies: ['accept-language', 'x-mode'], responseTime: 5 });
    expect(got?.body.byteLength).toBe(0);
  });

  it('replaces what a key held, and drops it on delete', async () => {
    const store = await make();
    await store.put(key('replaced'), response('one'), 60_000);
    await store.put(key('replaced'), response('two'), 60_000);
    expect(new TextDecoder().decode((await store.get(key('replaced')))!.body)).toBe('two');
    await store.delete(key('replaced'));
    expect(await store.get(key('replaced'))).toBeUndefined();
    await store.delete(key('never-there'));
  });

  it('keeps keys apart however they are spelled (spaces, non-ASCII, glob characters, a query)', async () => {
    const store = await make();
    const names = ['a b', 'é/ü?x=1&y=2', 'star*', 'q?', '[set]', 'back\\slash', 'a%2Fb', 'a/b'];
    for (const name of names) await store.put(key(name), response(name), 60_000);
    for (const name of names) expect(new TextDecoder().decode((await store.get(key(name)))!.body)).toBe(name);
  });

  it('drops every key with a prefix and only those, glob characters in the prefix taken literally', async () => {
    const store = await make();
    const kept = ['blog', 'blogger/x', 'shop/blog/1', 'star/a'];
    const dropped = ['blog/', 'blog/1', 'blog/2?page=3', 'blog/deep/er'];
    for (const name of [...kept, ...dropped, 'st*r/a', 'st*r/b']) await store.put(key(name), response(name), 60_000);
    await store.deletePrefix(key('blog/'));
    for (const name of dropped) expect(await store.get(key(name)), name).toBeUndefined();
    for (const name of kept) expect(await store.get(key(name)), name).toBeDefined();
    // `*` in a prefix is a character, not a wildcard: 'star/a' stays.
    await store.deletePrefix(key('st*r/'));
    expect(await store.get(key('st*r/a'))).toBeUndefined();
    expect(await store.get(key('st*r/b'))).toBeUndefined();
    expect(await store.get(key('star/a'))).toBeDefined();
  });

  it('gives an entry up once the time it was kept for has passed', async () => {
    const store = await make();
    await store.put(key('short'), response('short'), 1_000);
    await store.put(key('long'), response('long'), 60_000);
    expect(await store.get(key('short'))).toBeDefined();
    await delay(2_200);
    expect(await store.get(key('short'))).toBeUndefined();
    expect(await store.get(key('long'))).toBeDefined();
  }, 10_000);
}
