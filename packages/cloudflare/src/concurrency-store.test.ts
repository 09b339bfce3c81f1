// Inside workerd, with the real Durable Object of test/wrangler.toml (in
// SQLite storage): two stores on one namespace stand for two isolates of
// the same Worker.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestEnv } from '../test/worker.ts';
import type { ConcurrencyCounter } from './concurrency-counter.ts';
import { ConcurrencyStoreTimeoutError, durableConcurrencyStore } from './concurrency-store.ts';

const { CONCURRENCY } = env as unknown as TestEnv;

type Namespace = DurableObjectNamespace<ConcurrencyCounter>;
type Stub = DurableObjectStub<ConcurrencyCounter>;
type Release = () => void;

/** A key no earlier run used: the objects' storage may outlive a run. */
const fresh = (name: string): string => `${name} ${crypto.randomUUID()}`;

/** The object that counts `key`, as the store picks it. */
const objectOf = (key: string): Stub => CONCURRENCY.get(CONCURRENCY.idFromName(key));

/** Whether the object of `key` has a lease table, that is, any storage. */
const hasStorage = (key: string): Promise<boolean> =>
  runInDurableObject(objectOf(key), (_, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'leases'").toArray().length > 0);

/** `store.acquire` again until a place is given, for at most `ms`: a place given back elsewhere is free once the object hears of it. */
async function eventually(acquire: () => Release | undefined | Promise<Release | undefined>, ms = 5_000): Promise<Release> {
  let release: Release | undefined;
  await vi.waitFor(
    async () => {
      release = await acquire();
      expect(release).toBeTypeOf('function');
    },
    { timeout: ms, interval: 20 },
  );
  return release!;
}

/**
 * The real namespace, through stubs that fail once `die()` is called: an
 * isolate that took places, then was torn down (or lost the object) and
 * so neither renews nor gives them back.
 */
function mortal(): { namespace: Namespace; die: () => void } {
  let dead = false;
  const gone = (): Promise<never> => Promise.reject(new Error('this isolate is gone'));
  const namespace = {
    idFromName: (name: string) => CONCURRENCY.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = CONCURRENCY.get(id);
      return {
        acquire: (key: string, max: number, lease: string, ttl: number) => (dead ? gone() : stub.acquire(key, max, lease, ttl)),
        renew: (key: string, lease: string, ttl: number) => (dead ? gone() : stub.renew(key, lease, ttl)),
        release: (key: string, lease: string) => (dead ? gone() : stub.release(key, lease)),
      };
    },
  };
  return { namespace: namespace as unknown as Namespace, die: () => (dead = true) };
}

describe('durableConcurrencyStore', () => {
  const held: Release[] = [];
  // Leases a test leaves held would go on renewing after it.
  afterEach(() => {
    for (const release of held.splice(0)) release();
  });
  const hold = <T extends Release | undefined>(release: T): T => {
    if (release !== undefined) held.push(release);
    return release;
  };

  it('holds one limit for two isolates: max places per key, one back for each release', async () => {
    const key = fresh('two isolates');
    const [a, b] = [durableConcurrencyStore(CONCURRENCY), durableConcurrencyStore(CONCURRENCY)];
    const first = hold(await a.acquire(key, 2));
    const second = hold(await b.acquire(key, 2));
    expect([typeof first, typeof second]).toEqual(['function', 'function']);
    expect([await a.acquire(key, 2), await b.acquire(key, 2)]).toEqual([undefined, undefined]);
    // Another key is counted apart.
    expect(hold(await a.acquire(fresh('another'), 2))).toBeTypeOf('function');

    first!();
    // A second call gives nothing more back.
    first!();
    hold(await eventually(() => b.acquire(key, 2)));
    expect([await a.acquire(key, 2), await b.acquire(key, 2)]).toEqual([undefined, undefined]);
  });

  it('keeps its leases when the object is evicted (they are in its storage)', async () => {
    const key = fresh('evicted');
    const store = durableConcurrencyStore(CONCURRENCY);
    hold(await store.acquire(key, 2));
    hold(await store.acquire(key, 2));
    await evictDurableObject(objectOf(key));
    expect(await store.acquire(key, 2)).toBeUndefined();
  });

  it('renews a lease while it is held, and frees the place of an isolate that is gone once its lease expires; then the object deletes its storage', async () => {
    const key = fresh('gone');
    const ttl = 600;
    const errors: unknown[] = [];
    const { namespace, die } = mortal();
    const doomed = durableConcurrencyStore(namespace, { ttl, onError: (error) => errors.push(error) });
    const other = durableConcurrencyStore(CONCURRENCY, { ttl });
    expect(hold(await doomed.acquire(key, 1))).toBeTypeOf('function');
    // Well past the lease time: renewed, still counted.
    await scheduler.wait(3 * ttl);
    expect(await other.acquire(key, 1)).toBeUndefined();
    expect(errors).toEqual([]);

    die();
    // Neither renewed nor given back: free once it expires.
    const mine = await eventually(() => other.acquire(key, 1), 10 * ttl);
    expect(await other.acquire(key, 1)).toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => (error as Error).message === 'this isolate is gone')).toBe(true);

    // Once the last lease has gone, the alarm leaves the object nothing stored.
    mine();
    expect(await hasStorage(key)).toBe(true);
    await vi.waitFor(async () => expect(await hasStorage(key)).toBe(false), { timeout: 10 * ttl, interval: 50 });
    // And it counts from nothing again.
    expect(hold(await other.acquire(key, 1))).toBeTypeOf('function');
  }, 15_000);

  it('lets requests through when the object cannot be reached, and says so once', async () => {
    const unreachable = {
      idFromName: (name: string) => CONCURRENCY.idFromName(name),
      get: () => {
        throw new Error('Durable Object namespace unavailable');
      },
    } as unknown as Namespace;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const store = durableConcurrencyStore(unreachable);
      const through = [await store.acquire('k', 1), await store.acquire('k', 1), await store.acquire('k', 1)];
      expect(through.map((release) => typeof release)).toEqual(['function', 'function', 'function']);
      for (const release of through) release!();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain('letting requests through: Durable Object namespace unavailable');
    } finally {
      warn.mockRestore();
    }
  });

  it('lets the request through when the object does not answer in time, and takes back the place it may have taken', async () => {
    const calls: string[] = [];
    const silent = {
      idFromName: (name: string) => CONCURRENCY.idFromName(name),
      get: () => ({
        acquire: () => {
          calls.push('acquire');
          return new Promise(() => {});
        },
        release: (_key: string, lease: string) => {
          calls.push(`release ${lease.replace(/^.*:/, ':')}`);
          return Promise.resolve();
        },
      }),
    } as unknown as Namespace;
    const errors: unknown[] = [];
    const store = durableConcurrencyStore(silent, { timeout: 50, onError: (error) => errors.push(error) });
    expect(await store.acquire('k', 1)).toBeTypeOf('function');
    expect(errors).toEqual([expect.any(ConcurrencyStoreTimeoutError)]);
    expect(calls).toEqual(['acquire', 'release :0']);
  });

  it('refuses what is not a binding, and a lease time it cannot renew within', () => {
    expect(() => durableConcurrencyStore(undefined as unknown as Namespace)).toThrow('give the Durable Object binding');
    expect(() => durableConcurrencyStore(CONCURRENCY, { ttl: 10 })).toThrow('ttl is whole milliseconds (≥ 100)');
    expect(() => durableConcurrencyStore(CONCURRENCY, { timeout: 0 })).toThrow('timeout is milliseconds (> 0)');
  });
});

describe('the concurrency rule through the object', () => {
  /** GET /limited of the test Worker (one answer in flight per client, the answer held open) as a client at `address`. */
  const limited = (address: string): Promise<Response> => exports.default.fetch('https://test.example/limited', { headers: { 'CF-Connecting-IP': address } });
  const address = (): string => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;

  it('answers a second request in flight from the same client with 429 and Retry-After, and the next once the first has gone', async () => {
    const client = address();
    const first = await limited(client);
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('started\n');

    const second = await limited(client);
    expect([second.status, second.headers.get('retry-after'), await second.text()]).toEqual([429, '1', 'Too Many Requests\n']);
    // Another client has a place of its own.
    const elsewhere = await limited(address());
    expect(elsewhere.status).toBe(200);
    await elsewhere.body!.cancel();

    // The client leaves mid-answer: its place comes back.
    await reader.cancel();
    let third: Response | undefined;
    await vi.waitFor(
      async () => {
        third = await limited(client);
        if (third.status !== 200) await third.body?.cancel();
        expect(third.status).toBe(200);
      },
      { timeout: 5_000, interval: 20 },
    );
    await third!.body!.cancel();
  });
});
