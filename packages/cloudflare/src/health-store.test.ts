// Inside workerd, with the real Durable Object of test/wrangler.toml: two
// stores on one namespace stand for two isolates of the same Worker.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import type { TestEnv } from '../test/worker.ts';
import { durableHealthStore } from './health-store.ts';

const { HEALTH } = env as unknown as TestEnv;

describe('durableHealthStore', () => {
  it('shares what one isolate saw fail with the others', async () => {
    const now = Date.now();
    const first = durableHealthStore(HEALTH, { name: 'share', refresh: 0 });
    const second = durableHealthStore(HEALTH, { name: 'share', refresh: 0 });
    expect([...(await second.down(now))]).toEqual([]);
    await first.fail('app a', now, 2, 10_000);
    expect([...(await first.down(now))]).toEqual([]);
    await first.fail('app a', now + 1, 2, 10_000);
    // The failing isolate knows at once; another one once a look has fetched the
    // shared view in the background (no event says when: polled, for at most 5 s).
    expect([...(await first.down(now + 2))]).toEqual(['app a']);
    await second.down(now + 2);
    await vi.waitFor(async () => expect([...(await second.down(now + 3))]).toEqual(['app a']), { timeout: 5_000, interval: 10 });
    // Back after failTimeout, everywhere.
    const later = durableHealthStore(HEALTH, { name: 'share' });
    expect([...(await later.down(now + 10_002))]).toEqual([]);
  }, 10_000);

  it('writes a success through only for a server someone saw fail', async () => {
    const now = Date.now();
    const store = durableHealthStore(HEALTH, { name: 'quiet', refresh: 0 });
    expect(store.succeed('app a', now)).toBeUndefined();
    await store.markDown('app b', now, now + 60_000);
    const other = durableHealthStore(HEALTH, { name: 'quiet', refresh: 0 });
    expect([...(await other.down(now + 1))]).toEqual(['app b']);
    await other.succeed('app b', now + 2);
    const fresh = durableHealthStore(HEALTH, { name: 'quiet' });
    expect([...(await fresh.down(now + 3))]).toEqual([]);
  });

  it('keeps names apart: one object per name', async () => {
    const now = Date.now();
    await durableHealthStore(HEALTH, { name: 'one' }).markDown('app a', now, now + 60_000);
    expect([...(await durableHealthStore(HEALTH, { name: 'two' }).down(now + 1))]).toEqual([]);
    expect([...(await durableHealthStore(HEALTH, { name: 'one' }).down(now + 1))]).toEqual(['app a']);
  });
});
