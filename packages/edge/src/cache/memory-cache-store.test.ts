import { cacheStoreContract } from '@gatehouse/test-support/cache-store-contract';
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from './cache-store.ts';
import { memoryCacheStore } from './memory-cache-store.ts';

describe('memoryCacheStore', () => {
  cacheStoreContract(() => memoryCacheStore());

  const entry = (size: number): CacheEntry => ({
    head: { status: 200, headers: [], requestTime: 0, responseTime: 0 },
    body: new Uint8Array(size),
  });

  it('stays within its bytes, dropping the least recently used first', () => {
    const store = memoryCacheStore({ maxBytes: 3_200 });
    store.put('a', entry(900), 60_000);
    store.put('b', entry(900), 60_000);
    store.put('c', entry(900), 60_000);
    expect(store.size).toBe(3);
    // 'a' used last: 'b' is now the least recently used.
    expect(store.get('a')).toBeDefined();
    store.put('d', entry(900), 60_000);
    expect(store.get('b')).toBeUndefined();
    expect([store.get('a'), store.get('c'), store.get('d')].every(Boolean)).toBe(true);
    expect(store.bytes).toBeLessThanOrEqual(3_200);
  });

  it('keeps nothing larger than its bound, and forgets what it replaced', () => {
    const store = memoryCacheStore({ maxBytes: 1_000 });
    store.put('a', entry(500), 60_000);
    store.put('a', entry(2_000), 60_000);
    expect(store.get('a')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('refuses a bound that is not a byte count', () => {
    expect(() => memoryCacheStore({ maxBytes: 0 })).toThrow(/maxBytes/);
  });
});
