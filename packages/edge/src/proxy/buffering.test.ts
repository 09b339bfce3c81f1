// Request buffering through the proxy, with a scripted transport: the
// client's body held in memory (as it always was), and spilled to a
// BodySpill past memory, whose file must be gone however the exchange ends.
import { describe, expect, it } from 'vitest';
import { defineEdge } from '../define-edge.ts';
import { createPool } from '../upstream/pool.ts';
import { TransportError, type UpstreamRequest } from '../upstream/transport.ts';
import type { BodySpill, SpillFile } from './body-spill.ts';
import { context, quiet, scripted } from './_test-upstream.ts';
import { createProxy, proxy } from './proxy.ts';
import type { ProxyOptions } from './proxy-options.ts';

const A = 'http://a.test:8001';
const B = 'http://b.test:8002';
const pool = () => createPool({ name: 'api', servers: [A, B] });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client's body the test writes piece by piece, as a chunked upload arrives. */
function upload(): { request: (options?: { signal?: AbortSignal }) => Request; send: (text: string) => void; end: () => void; fail: (error: Error) => void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    request: (options = {}) => new Request('http://edge.test/upload', { method: 'POST', body, duplex: 'half', signal: options.signal } as RequestInit),
    send: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
    fail: (error) => controller.error(error),
  };
}

async function text(body: ReadableStream<Uint8Array> | null): Promise<string> {
  return body === null ? '' : decoder.decode(await new Response(body).arrayBuffer());
}

/** A transport that reads the whole body and answers with what it got; `refuse` servers fail to connect. */
function echoing(refuse: readonly string[] = []) {
  const bodies: string[] = [];
  const { transport, seen } = scripted(async (request) => {
    if (refuse.some((server) => request.url.startsWith(server))) throw new TransportError('connect', 'refused');
    const got = await text(request.body);
    bodies.push(got);
    return new Response(`got ${got.length}`);
  });
  return { transport, seen, bodies };
}

/** A BodySpill in memory, which keeps every file it made for the test to look at. */
function memorySpill(options: { failWrites?: boolean } = {}) {
  const files: (SpillFile & { removed: boolean; streams: number; text(): string })[] = [];
  const spill: BodySpill = {
    async create() {
      const chunks: Uint8Array[] = [];
      const file = {
        size: 0,
        removed: false,
        streams: 0,
        async write(chunk: Uint8Array) {
          if (options.failWrites === true) throw new Error('disk full');
          if (file.removed) throw new Error('written after removal');
          chunks.push(chunk.slice());
          file.size += chunk.byteLength;
        },
        stream() {
          file.streams++;
          const parts = chunks.slice();
          return new ReadableStream<Uint8Array>({
            pull(controller) {
              if (file.removed) throw new Error('read after removal');
              const next = parts.shift();
              if (next === undefined) controller.close();
              else controller.enqueue(next);
            },
          }, { highWaterMark: 0 });
        },
        async remove() {
          file.removed = true;
        },
        text: () => chunks.map((chunk) => decoder.decode(chunk)).join(''),
      };
      files.push(file);
      return file;
    },
  };
  return { spill, files };
}

const send = (request: Request, options: ProxyOptions, ctx = context()) => proxy(request, pool(), { onError: quiet, ...options }, {}, ctx);
const fieldOf = (request: UpstreamRequest, name: string): string | undefined => {
  const at = request.headers.findIndex((field, i) => i % 2 === 0 && field === name);
  return at === -1 ? undefined : request.headers[at + 1];
};
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('the defaults: buffered both ways, as nginx', () => {
  it('reads a body before any server hears of it and sends it again on a retry, with no setting', async () => {
    const { transport, seen, bodies } = echoing([A]);
    const client = upload();
    const answer = send(client.request(), { transport });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(0);
    client.send('world');
    client.end();
    expect(await (await answer).text()).toBe('got 11');
    expect(seen.map((exchange) => exchange.server)).toEqual([A, B]);
    expect(bodies).toEqual(['hello world']);
  });

  it('streams the request body with `request: 0`, spill or not, unless the route names a file', async () => {
    const { spill, files } = memorySpill();
    const { transport, seen } = scripted(async (request) => new Response(await text(request.body)));
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 0, spill } });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(1);
    client.send('world');
    client.end();
    expect(await (await answer).text()).toBe('hello world');
    expect(files).toHaveLength(0);
  });

  it('streams the body in step with the client with `buffering: false`', async () => {
    const { transport, seen } = scripted(async (request) => new Response(await text(request.body)));
    const client = upload();
    const answer = send(client.request(), { transport, buffering: false });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(1);
    client.send('world');
    client.end();
    expect(await (await answer).text()).toBe('hello world');
  });

  it('reads a long answer of unknown length ahead of the client, up to 64 KiB; a short one of known length goes as it came', async () => {
    let pulled = 0;
    const long = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += 16 * 1024;
            controller.enqueue(new Uint8Array(16 * 1024));
            if (pulled >= 1024 * 1024) controller.close();
          },
        }, { highWaterMark: 0 }),
      );
    const response = await send(new Request('http://edge.test/'), { transport: scripted(long).transport });
    // Nobody reads yet: the edge has read ahead up to its bound, and no further.
    for (let i = 0; i < 20; i++) await tick();
    expect(pulled).toBeGreaterThanOrEqual(64 * 1024);
    expect(pulled).toBeLessThan(256 * 1024);
    await response.body!.cancel();
    const short = new Response('0123456789', { headers: { 'content-length': '10' } });
    expect(await send(new Request('http://edge.test/'), { transport: scripted(() => short).transport })).toBe(short);
  });
});

describe('request buffering in memory', () => {
  it('reads a body within `request` before any server hears of it, sends it with its length, and sends it again on a retry', async () => {
    const { transport, seen, bodies } = echoing([A]);
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 16 } });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(0);
    client.send('world');
    client.end();
    const response = await answer;
    expect(await response.text()).toBe('got 11');
    expect(seen.map((exchange) => exchange.server)).toEqual([A, B]);
    expect(bodies).toEqual(['hello world']);
    expect(fieldOf(seen[1]!.request, 'content-length')).toBe('11');
  });

  it('sends a body past `request` as what was read, then the rest as it comes, without a length', async () => {
    const { transport, seen, bodies } = echoing();
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 4 } });
    client.send('hello ');
    await tick();
    // Past the bound: the server is asked while the client still sends.
    expect(seen).toHaveLength(1);
    client.send('world');
    client.end();
    expect(await (await answer).text()).toBe('got 11');
    expect(bodies).toEqual(['hello world']);
    expect(fieldOf(seen[0]!.request, 'content-length')).toBeUndefined();
  });

  it('ignores `requestFile` without a spill, as on Workers: the body past memory streams', async () => {
    const { transport, seen, bodies } = echoing();
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 4, requestFile: 1024 } });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(1);
    client.send('world');
    client.end();
    expect(await (await answer).text()).toBe('got 11');
    expect(bodies).toEqual(['hello world']);
  });
});

describe('request buffering with a spill', () => {
  it('writes a body past memory whole to a file, sends it from there with its length, again on a retry, and removes it once the answer is read', async () => {
    const { spill, files } = memorySpill();
    const { transport, seen, bodies } = echoing([A]);
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 4, requestFile: 64, spill } });
    client.send('hello ');
    client.send('world');
    await tick();
    expect(seen).toHaveLength(0);
    expect(files).toHaveLength(1);
    client.end();
    const response = await answer;
    // Both attempts had a stream of the file; the one refused read none of it.
    expect(seen.map((exchange) => exchange.server)).toEqual([A, B]);
    expect(files[0]!.streams).toBe(2);
    expect(files[0]!.text()).toBe('hello world');
    expect(bodies).toEqual(['hello world']);
    expect(fieldOf(seen[1]!.request, 'content-length')).toBe('11');
    expect(files[0]!.removed).toBe(false);
    expect(await response.text()).toBe('got 11');
    expect(files[0]!.removed).toBe(true);
  });

  it('keeps a body within memory out of the spill', async () => {
    const { spill, files } = memorySpill();
    const { transport, bodies } = echoing();
    const response = await send(new Request('http://edge.test/', { method: 'POST', body: 'tiny' }), { transport, buffering: { request: 16, requestFile: 64, spill } });
    expect(await response.text()).toBe('got 4');
    expect(bodies).toEqual(['tiny']);
    expect(files).toHaveLength(0);
  });

  it('spills every body when memory is 0 and requestFile is set', async () => {
    const { spill, files } = memorySpill();
    const { transport, bodies } = echoing();
    const response = await send(new Request('http://edge.test/', { method: 'POST', body: 'tiny' }), { transport, buffering: { request: 0, requestFile: 64, spill } });
    expect(await response.text()).toBe('got 4');
    expect(bodies).toEqual(['tiny']);
    expect(files.map((file) => [file.text(), file.removed])).toEqual([['tiny', true]]);
  });

  it('removes the file when the client cancels the answer', async () => {
    const { spill, files } = memorySpill();
    const { transport } = scripted(async (request) => {
      await text(request.body);
      return new Response(new ReadableStream({ pull: () => new Promise(() => {}) }));
    });
    const response = await send(new Request('http://edge.test/', { method: 'POST', body: 'hello world' }), { transport, buffering: { request: 4, requestFile: 64, spill } });
    expect(files[0]!.removed).toBe(false);
    await response.body!.cancel();
    expect(files[0]!.removed).toBe(true);
  });

  it('removes the file when every server failed', async () => {
    const { spill, files } = memorySpill();
    const { transport } = echoing([A, B]);
    const response = await send(new Request('http://edge.test/', { method: 'POST', body: 'hello world' }), { transport, buffering: { request: 4, requestFile: 64, spill } });
    expect(response.status).toBe(502);
    await response.text();
    expect(files[0]!.removed).toBe(true);
  });

  it('removes the file when the client leaves mid-body (499) or stalls (408)', async () => {
    const { spill, files } = memorySpill();
    const { transport, seen } = echoing();
    const leaving = upload();
    const abort = new AbortController();
    const left = send(leaving.request({ signal: abort.signal }), { transport, buffering: { request: 4, requestFile: 64, spill } });
    leaving.send('hello ');
    await tick();
    abort.abort();
    leaving.fail(new Error('client left'));
    expect((await left).status).toBe(499);
    const stalling = upload();
    const stalled = send(stalling.request(), { transport, clientBodyTimeout: 20, buffering: { request: 4, requestFile: 64, spill } });
    stalling.send('hello ');
    expect((await stalled).status).toBe(408);
    expect(files.map((file) => file.removed)).toEqual([true, true]);
    expect(seen).toHaveLength(0);
  });

  it('streams a body past `requestFile` as the file, then the rest, and removes the file at the end', async () => {
    const { spill, files } = memorySpill();
    const { transport, seen, bodies } = echoing();
    const client = upload();
    const answer = send(client.request(), { transport, buffering: { request: 4, requestFile: 8, spill } });
    client.send('hello ');
    await tick();
    expect(seen).toHaveLength(0);
    client.send('world');
    await tick();
    // Past the file's bound: the server is asked while the client still sends.
    expect(seen).toHaveLength(1);
    client.send('!');
    client.end();
    const response = await answer;
    expect(bodies).toEqual(['hello world!']);
    expect(fieldOf(seen[0]!.request, 'content-length')).toBeUndefined();
    expect(files[0]!.text()).toBe('hello ');
    await response.text();
    expect(files[0]!.removed).toBe(true);
  });

  it('fails the request when the spill cannot write, with the file removed and nothing sent', async () => {
    const { spill, files } = memorySpill({ failWrites: true });
    const { transport, seen } = echoing();
    await expect(send(new Request('http://edge.test/', { method: 'POST', body: 'hello world' }), { transport, buffering: { request: 4, requestFile: 64, spill } })).rejects.toThrow('disk full');
    expect(files[0]!.removed).toBe(true);
    expect(seen).toHaveLength(0);
  });

  it('checks its options when the proxy is made', () => {
    const { spill } = memorySpill();
    const make = (buffering: ProxyOptions['buffering']) => () => createProxy(pool(), { buffering });
    expect(make({ requestFile: -1 })).toThrow('buffering.requestFile');
    expect(make({ requestFile: 1.5 })).toThrow('buffering.requestFile');
    expect(make({ request: 4, spill: {} as BodySpill })).toThrow('buffering.spill');
    expect(make({ request: 4, requestFile: Infinity, spill })).not.toThrow();
  });

  it('is given to the routes of defineEdge by its `bodySpill`, unless a route names its own', async () => {
    const shared = memorySpill();
    const own = memorySpill();
    const { transport, bodies } = echoing();
    const edge = defineEdge({
      transport,
      bodySpill: shared.spill,
      pools: { api: { servers: [A] } },
      routes: {
        '/shared': { proxy: { pool: 'api', buffering: { request: 4, requestFile: 64 } } },
        '/own': { proxy: { pool: 'api', buffering: { request: 4, requestFile: 64, spill: own.spill } } },
      },
    });
    for (const path of ['/shared', '/own']) {
      const response = await edge.fetch(new Request(`http://edge.test${path}`, { method: 'POST', body: 'hello world' }), {}, context());
      expect(await response.text()).toBe('got 11');
    }
    expect(bodies).toEqual(['hello world', 'hello world']);
    expect([shared.files.length, own.files.length]).toEqual([1, 1]);
    expect([...shared.files, ...own.files].every((file) => file.removed)).toBe(true);
  });
});
