// The cache's HTTP rules (RFC 9111 for a shared cache, RFC 5861), one
// test each, through the proxy with a scripted origin and a clock the test
// moves (only Date is faked: timers run for real).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { context, quiet, scripted } from '../proxy/_test-upstream.ts';
import { proxy } from '../proxy/proxy.ts';
import type { ProxyOptions } from '../proxy/proxy-options.ts';
import { TransportError, type UpstreamRequest } from '../upstream/transport.ts';
import { createPool } from '../upstream/pool.ts';
import type { CacheRules } from './cache-rules.ts';
import type { CacheStore } from './cache-store.ts';
import { memoryCacheStore } from './memory-cache-store.ts';

const START = Date.parse('2026-12-05T10:00:00Z');
const httpDate = (ms: number) => new Date(ms).toUTCString();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
});

const tick = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

type Answer = (request: UpstreamRequest, headers: Headers, hit: number) => Response | Promise<Response>;

/** A proxy with a cache in front of an origin the test scripts; `hits` counts what reached the origin. */
function cached(answer: Answer, rules: Partial<CacheRules> = {}) {
  let hits = 0;
  const { transport, seen } = scripted((request, all) => {
    hits++;
    return answer(request, all[all.length - 1]!.headers, hits);
  });
  const pool = createPool({ name: 'app', servers: ['http://origin.test:8000'], retry: { tries: 1 } });
  const store = memoryCacheStore();
  const options: ProxyOptions = { transport, onError: quiet, cache: { store, ...rules } };
  const pending: Promise<unknown>[] = [];
  const send = async (path: string, init: RequestInit = {}) => {
    const response = await proxy(new Request(`http://site.test${path}`, init), pool, options, {}, context({ pending }));
    return { status: response.status, cache: response.headers.get('x-cache-status'), age: response.headers.get('age'), headers: response.headers, body: await response.text() };
  };
  return {
    send,
    seen,
    store,
    get hits() {
      return hits;
    },
    settled: () => Promise.all(pending),
  };
}

const text = (body: string, headers: Record<string, string>, status = 200) => new Response(body, { status, headers: { date: httpDate(Date.now()), ...headers } });

describe('freshness (RFC 9111 §4.2)', () => {
  it('max-age: kept while fresh with its Age, then asked again (EXPIRED: the origin sent a new one)', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=60', etag: `"${hit}"` }));
    expect(await origin.send('/a')).toMatchObject({ status: 200, cache: 'MISS', body: 'v1' });
    tick(30);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v1', age: '30' });
    tick(31);
    expect(await origin.send('/a')).toMatchObject({ cache: 'EXPIRED', body: 'v2' });
    expect(origin.hits).toBe(2);
  });

  it('a response dated this second is not older than that: ttl 1 keeps it the rest of the second and one more', async () => {
    vi.setSystemTime(START + 900);
    const origin = cached((_r, _h, hit) => text(`v${hit}`, {}), { ttl: 1 });
    await origin.send('/a');
    vi.setSystemTime(START + 1_800);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v1' });
  });

  it('s-maxage wins over max-age for a shared cache', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=0, s-maxage=60' }));
    await origin.send('/a');
    tick(10);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v1' });
  });

  it('Expires against Date, and an Expires that is no date means already expired', async () => {
    const origin = cached((request, _h, hit) =>
      text(`v${hit}`, { expires: request.url.endsWith('/bad') ? '0' : httpDate(Date.now() + 60_000) }),
    );
    await origin.send('/good');
    tick(30);
    expect(await origin.send('/good')).toMatchObject({ cache: 'HIT', body: 'v1' });
    await origin.send('/bad');
    expect(await origin.send('/bad')).toMatchObject({ cache: 'MISS' });
  });

  it('counts the Age the origin sent (an upstream cache held it already)', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=60', age: '50' }));
    await origin.send('/a');
    tick(5);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', age: '55' });
    tick(6);
    // Without validators nothing is kept past its freshness.
    expect(await origin.send('/a')).toMatchObject({ cache: 'MISS', body: 'v2' });
  });

  it('no heuristic freshness unless asked; with `heuristic`, a share of the time since Last-Modified', async () => {
    const lastModified = { 'last-modified': httpDate(START - 1000 * 1000) };
    const off = cached((_r, _h, hit) => text(`v${hit}`, lastModified));
    await off.send('/a');
    expect(await off.send('/a')).toMatchObject({ cache: 'MISS', body: 'v2' });
    const on = cached((_r, _h, hit) => text(`v${hit}`, lastModified), { heuristic: 0.1 });
    await on.send('/a');
    tick(99);
    expect(await on.send('/a')).toMatchObject({ cache: 'HIT', body: 'v1' });
    tick(2);
    expect((await on.send('/a')).cache).not.toBe('HIT');
  });

  it('ttl by status for responses that say nothing (proxy_cache_valid)', async () => {
    const origin = cached((request, _h, hit) => text(`v${hit}`, {}, request.url.endsWith('/missing') ? 404 : 200), { ttl: { 404: 10 } });
    await origin.send('/missing');
    expect(await origin.send('/missing')).toMatchObject({ status: 404, cache: 'HIT', body: 'v1' });
    await origin.send('/page');
    expect(await origin.send('/page')).toMatchObject({ status: 200, cache: 'MISS' });
  });
});

describe('what a shared cache never keeps (RFC 9111 §3)', () => {
  it.each([
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['no-store', { 'cache-control': 'no-store, max-age=60' }],
    ['Set-Cookie', { 'cache-control': 'public, max-age=60', 'set-cookie': 'session=1' }],
    ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }],
  ])('%s', async (_name, headers) => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, headers));
    await origin.send('/a');
    expect(await origin.send('/a')).toMatchObject({ cache: 'MISS', body: 'v2' });
  });

  it('an answer to a request with Authorization, unless the response says public or s-maxage', async () => {
    const origin = cached((request, _h, hit) => text(`v${hit}`, { 'cache-control': request.url.endsWith('/public') ? 'public, max-age=60' : 'max-age=60' }));
    const auth = { headers: { authorization: 'Bearer x' } };
    await origin.send('/mine', auth);
    expect(await origin.send('/mine', auth)).toMatchObject({ cache: 'MISS', body: 'v2' });
    await origin.send('/public', auth);
    expect(await origin.send('/public', auth)).toMatchObject({ cache: 'HIT' });
  });

  it('a body past maxSize goes through whole, and is not kept', async () => {
    const big = 'x'.repeat(5000);
    const origin = cached(() => new Response(new Blob([big]).stream(), { headers: { 'cache-control': 'max-age=60' } }), { maxSize: 1000 });
    expect(await origin.send('/big')).toMatchObject({ cache: 'MISS', body: big });
    expect(await origin.send('/big')).toMatchObject({ cache: 'MISS', body: big });
  });
});

describe('Vary (RFC 9111 §4.1)', () => {
  it('keeps one variant per value of the fields it names, however the key is made', async () => {
    const origin = cached((_r, headers) => text(`lang ${headers.get('accept-language')}`, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }), {
      // A key that leaves the field out cannot mix variants: Vary is applied on top.
      key: (request) => new URL(request.url).pathname,
    });
    expect((await origin.send('/a', { headers: { 'accept-language': 'fr' } })).body).toBe('lang fr');
    // A later variant joins the first one's Vary record rather than replacing it.
    tick(1);
    expect(await origin.send('/a', { headers: { 'accept-language': 'en' } })).toMatchObject({ cache: 'MISS', body: 'lang en' });
    expect(await origin.send('/a', { headers: { 'accept-language': 'fr' } })).toMatchObject({ cache: 'HIT', body: 'lang fr' });
    expect(await origin.send('/a', { headers: { 'accept-language': 'en' } })).toMatchObject({ cache: 'HIT', body: 'lang en' });
    expect(await origin.send('/a')).toMatchObject({ cache: 'MISS', body: 'lang null' });
    expect(origin.hits).toBe(3);
  });
});

describe('revalidation (RFC 9111 §4.3)', () => {
  it('a stale response with an ETag is revalidated: 304 keeps the body, takes the new fields', async () => {
    const origin = cached((_r, headers, hit) =>
      headers.get('if-none-match') === '"v1"'
        ? new Response(null, { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=120', 'x-seen': `${hit}` } })
        : text('body one', { etag: '"v1"', 'cache-control': 'max-age=10', 'x-seen': `${hit}` }),
    );
    await origin.send('/a');
    tick(11);
    const again = await origin.send('/a');
    expect(again).toMatchObject({ cache: 'REVALIDATED', body: 'body one' });
    expect(again.headers.get('x-seen')).toBe('2');
    expect(origin.seen[1]!.headers.get('if-none-match')).toBe('"v1"');
    // The 304's max-age=120 now counts.
    tick(100);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'body one' });
  });

  it('by Last-Modified, and no-cache means revalidate every time', async () => {
    const lastModified = httpDate(START - 60_000);
    const origin = cached((_r, headers) =>
      headers.get('if-modified-since') === lastModified
        ? new Response(null, { status: 304 })
        : text('page', { 'last-modified': lastModified, 'cache-control': 'no-cache' }),
    );
    expect((await origin.send('/a')).cache).toBe('MISS');
    expect(await origin.send('/a')).toMatchObject({ cache: 'REVALIDATED', body: 'page' });
    expect(await origin.send('/a')).toMatchObject({ cache: 'REVALIDATED', body: 'page' });
    expect(origin.hits).toBe(3);
  });

  it('the client’s own conditionals are answered from the cache, never sent on its behalf', async () => {
    const origin = cached(() => text('0123456789', { etag: '"e"', 'cache-control': 'max-age=60' }));
    await origin.send('/a');
    expect(await origin.send('/a', { headers: { 'if-none-match': '"e"' } })).toMatchObject({ status: 304, cache: 'HIT', body: '' });
    const part = await origin.send('/a', { headers: { range: 'bytes=2-4' } });
    expect(part).toMatchObject({ status: 206, body: '234' });
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await origin.send('/a', { method: 'HEAD' })).toMatchObject({ status: 200, cache: 'HIT', body: '' });
    expect(origin.hits).toBe(1);
    // A miss with the client's conditional: the origin is asked for the whole response.
    await origin.send('/b', { headers: { 'if-none-match': '"e"' } });
    expect(origin.seen[1]!.headers.get('if-none-match')).toBeNull();
  });

  it('the client’s Cache-Control: no-cache does not send it to the origin', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=60' }));
    await origin.send('/a');
    expect(await origin.send('/a', { headers: { 'cache-control': 'no-cache', pragma: 'no-cache' } })).toMatchObject({ cache: 'HIT', body: 'v1' });
  });
});

describe('stale responses (RFC 5861)', () => {
  it('stale-while-revalidate: answered stale at once while one request refreshes it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const origin = cached(async (_r, _h, hit) => {
      if (hit > 1) await gate;
      return text(`v${hit}`, { 'cache-control': 'max-age=10, stale-while-revalidate=60' });
    });
    await origin.send('/a');
    tick(20);
    const answers = await Promise.all(Array.from({ length: 5 }, () => origin.send('/a')));
    expect(answers.map((answer) => [answer.cache, answer.body])).toEqual(Array(5).fill(['UPDATING', 'v1']));
    release();
    await origin.settled();
    expect(origin.hits).toBe(2);
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v2' });
  });

  it('one refresh until the store has its answer, with a store that writes later', async () => {
    const memory = memoryCacheStore();
    const waiting: (() => void)[] = [];
    let slow = false;
    const store: CacheStore = {
      get: (key) => memory.get(key),
      async put(key, entry, keepFor) {
        if (slow) await new Promise<void>((resolve) => waiting.push(resolve));
        memory.put(key, entry, keepFor);
      },
      delete: (key) => memory.delete(key),
      deletePrefix: (prefix) => memory.deletePrefix(prefix),
    };
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=10, stale-while-revalidate=60' }), { store });
    await origin.send('/a');
    tick(20);
    slow = true;
    expect((await origin.send('/a')).cache).toBe('UPDATING');
    await vi.waitFor(() => expect(waiting).toHaveLength(1));
    // The refresh has its answer, the store not yet: this request must not start another.
    expect(await origin.send('/a')).toMatchObject({ cache: 'UPDATING', body: 'v1' });
    expect(origin.hits).toBe(2);
    for (const release of waiting) release();
    await origin.settled();
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v2' });
  });

  it('stale-if-error: the stale response stands in while the origin fails, within its window', async () => {
    let down = false;
    const origin = cached((_r, _h, hit) => {
      if (down) throw new TransportError('connect', 'refused');
      return text(`v${hit}`, { 'cache-control': 'max-age=10, stale-if-error=60' });
    });
    await origin.send('/a');
    down = true;
    tick(30);
    expect(await origin.send('/a')).toMatchObject({ status: 200, cache: 'STALE', body: 'v1' });
    tick(50);
    expect((await origin.send('/a')).status).toBe(502);
  });

  it('a 5xx from the origin counts as failing; must-revalidate forbids serving stale', async () => {
    let failing = false;
    const origin = cached((request, _h, hit) => {
      if (failing) return text('oops', {}, 503);
      return text(`v${hit}`, { 'cache-control': request.url.endsWith('/strict') ? 'max-age=10, must-revalidate' : 'max-age=10' });
    }, { staleIfError: 300 });
    await origin.send('/loose');
    await origin.send('/strict');
    failing = true;
    tick(30);
    expect(await origin.send('/loose')).toMatchObject({ status: 200, cache: 'STALE', body: 'v1' });
    expect(await origin.send('/strict')).toMatchObject({ status: 503, body: 'oops' });
  });
});

describe('collapsed misses (proxy_cache_lock)', () => {
  it('200 concurrent misses for one key reach the origin once', async () => {
    const origin = cached(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return text('shared', { 'cache-control': 'max-age=60' });
    });
    const answers = await Promise.all(Array.from({ length: 200 }, () => origin.send('/hot')));
    expect(origin.hits).toBe(1);
    expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set(['shared']));
    expect(answers.filter((answer) => answer.cache === 'MISS')).toHaveLength(1);
  });

  it('waiters go themselves when what came back may not be kept', async () => {
    const origin = cached(async (_r, _h, hit) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return text(`v${hit}`, { 'cache-control': 'no-store' });
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => origin.send('/x')));
    expect(origin.hits).toBe(5);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(5);
  });
});

describe('purge, bypass and changes', () => {
  it('PURGE drops a URL, or every URL under a prefix, for whoever holds the token', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=600' }), { purge: { token: 's3cret' } });
    for (const path of ['/blog/1', '/blog/2', '/shop/1']) await origin.send(path);
    expect((await origin.send('/blog/1', { method: 'PURGE' })).status).toBe(403);
    expect((await origin.send('/blog/1', { method: 'PURGE', headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await origin.send('/blog/1')).cache).toBe('MISS');
    expect((await origin.send('/blog/2')).cache).toBe('HIT');
    expect((await origin.send('/blog/*?token=s3cret', { method: 'PURGE' })).body).toBe('purged http://site.test/blog/*\n');
    expect((await origin.send('/blog/2')).cache).toBe('MISS');
    expect((await origin.send('/shop/1')).cache).toBe('HIT');
  });

  it('POST goes through (BYPASS) and makes what was kept of its URL stale', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=600' }));
    await origin.send('/item');
    expect(await origin.send('/item', { method: 'POST', body: 'x' })).toMatchObject({ cache: 'BYPASS', body: 'v2' });
    await origin.settled();
    expect(await origin.send('/item')).toMatchObject({ cache: 'MISS', body: 'v3' });
  });

  it('bypass: such requests neither read nor fill the cache', async () => {
    const origin = cached((_r, _h, hit) => text(`v${hit}`, { 'cache-control': 'max-age=600' }), {
      bypass: (request) => (request.headers.get('cookie') ?? '').includes('session='),
    });
    await origin.send('/a');
    expect(await origin.send('/a', { headers: { cookie: 'session=1' } })).toMatchObject({ cache: 'BYPASS', body: 'v2' });
    expect(await origin.send('/a')).toMatchObject({ cache: 'HIT', body: 'v1' });
  });

  it('refuses settings that are not', () => {
    const pool = createPool({ name: 'app', servers: ['http://origin.test:8000'] });
    const bad = (rules: Partial<CacheRules>) => () => proxy(new Request('http://site.test/'), pool, { cache: { store: memoryCacheStore(), ...rules } });
    expect(bad({ staleIfError: -1 })).toThrow(/cache.staleIfError is a number of seconds/);
    expect(bad({ heuristic: 2 })).toThrow(/cache.heuristic/);
    expect(bad({ purge: {} })).toThrow(/guard it with access rules, a token, or both/);
  });
});
