import { describe, expect, it } from 'vitest';
import { testContext } from '../_test-context.ts';
import { defineEdge } from '../define-edge.ts';
import { type ConcurrencyStore, memoryConcurrencyStore } from './concurrency-limit.ts';

describe('memoryConcurrencyStore', () => {
  it('gives out max places per key, and one back for each release, once', () => {
    const store = memoryConcurrencyStore();
    const first = store.acquire('k', 2);
    const second = store.acquire('k', 2);
    expect(typeof first).toBe('function');
    expect(typeof second).toBe('function');
    expect(store.acquire('k', 2)).toBeUndefined();
    // Another key is counted apart.
    expect(store.acquire('other', 2)).toBeTypeOf('function');
    (first as () => void)();
    // A second call of the same release frees nothing more.
    (first as () => void)();
    const third = store.acquire('k', 2);
    expect(third).toBeTypeOf('function');
    expect(store.acquire('k', 2)).toBeUndefined();
  });
});

describe('concurrency with a store', () => {
  const slowBody = (): ReadableStream<Uint8Array> => new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(1)) }, { highWaterMark: 0 });

  it('answers from the memory store without a Promise', () => {
    const edge = defineEdge({ routes: { '/': { respond: 'ok', concurrency: { max: 1 } } } });
    const answer = edge.fetch(new Request('http://example.com/'), {}, testContext);
    expect(answer).toBeInstanceOf(Response);
  });

  it('asks the store given, waits for its answer, and gives the place back once the body has gone', async () => {
    const asked: [string, number][] = [];
    let held = 0;
    let releases = 0;
    const store: ConcurrencyStore = {
      acquire: async (key, max) => {
        asked.push([key, max]);
        if (held >= max) return undefined;
        held++;
        return () => {
          releases++;
          held--;
        };
      },
    };
    const edge = defineEdge({ routes: { '/download': { fetch: () => new Response(slowBody()), concurrency: { max: 1, store, zone: 'downloads' } } } });
    const download = (): Promise<Response> => Promise.resolve(edge.fetch(new Request('http://example.com/download'), {}, testContext));
    const first = await download();
    const second = await download();
    expect([first.status, second.status, second.headers.get('retry-after')]).toEqual([200, 429, '1']);
    expect(asked).toEqual([
      [`downloads ${testContext.clientAddress}`, 1],
      [`downloads ${testContext.clientAddress}`, 1],
    ]);
    await first.body!.cancel();
    expect(releases).toBe(1);
    expect((await download()).status).toBe(200);
  });

  it('gives the place back when the request is refused after it was counted (a body too large)', async () => {
    let held = 0;
    const store: ConcurrencyStore = {
      acquire: () => {
        held++;
        return Promise.resolve(() => {
          held--;
        });
      },
    };
    const edge = defineEdge({ routes: { '/upload': { respond: 'ok', maxBodySize: 1, concurrency: { max: 1, store } } } });
    const answer = await edge.fetch(new Request('http://example.com/upload', { method: 'POST', body: 'too large', headers: { 'content-length': '9' } }), {}, testContext);
    expect(answer.status).toBe(413);
    expect(held).toBe(0);
  });

  it('refuses a store that is not one when the edge is defined', () => {
    expect(() => defineEdge({ routes: { '/': { respond: 'x', concurrency: { max: 1, store: {} as ConcurrencyStore } } } })).toThrow(
      'location "/": concurrency.store is a ConcurrencyStore',
    );
  });
});
