import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchTransport } from './fetch-transport.ts';
import { TransportError, type TransportOptions, type UpstreamRequest } from './transport.ts';

const options = (more: Partial<TransportOptions> = {}): TransportOptions => ({ connectTimeout: 5_000, responseTimeout: 1_000, clientBodyTimeout: 0, signal: undefined, ...more });
const get = (more: Partial<UpstreamRequest> = {}): UpstreamRequest => ({ method: 'GET', url: 'http://a.test/x?y', headers: ['host', 'a.test', 'x-a', '1'], body: null, ...more });

/** fetch as undici's fails: TypeError('fetch failed') caused by a coded error. */
function failsWith(code: string, message = code): void {
  vi.stubGlobal('fetch', async () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('fetchTransport', () => {
  it('calls fetch with the request, manual redirects and a streamed body', async () => {
    let seen: [string, RequestInit] | undefined;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      seen = [url, init];
      return new Response(await new Response(init.body).text());
    });
    const body = new Blob(['payload']).stream();
    const response = await fetchTransport(get({ method: 'PUT', body }), options());
    expect(await response.text()).toBe('payload');
    const [url, init] = seen!;
    expect(url).toBe('http://a.test/x?y');
    expect(init).toMatchObject({ method: 'PUT', redirect: 'manual', duplex: 'half', headers: [['host', 'a.test'], ['x-a', '1']] });
  });

  it.each([
    ['ECONNREFUSED', 'connect'],
    ['ENOTFOUND', 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['SOMETHING_NEW', 'reset'],
  ])('maps %s to %s', async (code, kind) => {
    failsWith(code);
    const failure = await fetchTransport(get(), options()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).kind).toBe(kind);
    expect((failure as TransportError).bodySent).toBe(false);
  });

  it("takes fetch's bad ports for a connect failure: nothing was sent", async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed', { cause: new Error('bad port') });
    });
    await expect(fetchTransport(get(), options())).rejects.toMatchObject({ kind: 'connect' });
  });

  it('finds the code behind happy eyeballs’ AggregateError', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]) });
    });
    await expect(fetchTransport(get(), options())).rejects.toMatchObject({ kind: 'connect' });
  });

  it('lets programming errors through as they are', async () => {
    failsWith('UND_ERR_INVALID_ARG', 'invalid upgrade header');
    const failure = await fetchTransport(get(), options()).catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(TransportError);
    expect(failure).toBeInstanceOf(TypeError);
  });

  it('fails as a timeout when no head came within responseTimeout', async () => {
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))));
    const started = Date.now();
    const failure = await fetchTransport(get(), options({ responseTimeout: 30 })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TransportError', kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not time the body once the head is there', async () => {
    let signal: AbortSignal | undefined;
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      signal = init.signal!;
      return new Response('late body');
    });
    await fetchTransport(get(), options({ responseTimeout: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal!.aborted).toBe(false);
  });

  it('rejects with the reason when the client leaves, and aborts fetch, body included', async () => {
    const client = new AbortController();
    let signal: AbortSignal | undefined;
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      signal = init.signal!;
      return new Response('streaming');
    });
    await fetchTransport(get(), options({ signal: client.signal }));
    client.abort(new Error('client left'));
    expect(signal!.aborted).toBe(true);

    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new TypeError('aborted')))));
    const leaving = new AbortController();
    const pending = fetchTransport(get(), options({ signal: leaving.signal }));
    leaving.abort(new Error('client left'));
    await expect(pending).rejects.toThrow('client left');
  });

  it('leaves the body untouched when fetch failed before reading it, and says when it read some', async () => {
    failsWith('ECONNREFUSED');
    const body = new Blob(['payload']).stream();
    await expect(fetchTransport(get({ method: 'POST', body }), options())).rejects.toMatchObject({ bodySent: false });
    expect(body.locked).toBe(false);
    expect(await new Response(body).text()).toBe('payload');

    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      await (init.body as ReadableStream).getReader().read();
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    });
    const read = new Blob(['payload']).stream();
    await expect(fetchTransport(get({ method: 'POST', body: read }), options())).rejects.toMatchObject({ kind: 'reset', bodySent: true });
  });

  it('drops Content-Encoding and Content-Length from bodies fetch decoded', async () => {
    vi.stubGlobal('fetch', async () => new Response('decoded text', { headers: { 'content-encoding': 'gzip', 'content-length': '31', etag: '"x"' } }));
    const decoded = await fetchTransport(get(), options());
    expect([decoded.headers.get('content-encoding'), decoded.headers.get('content-length'), decoded.headers.get('etag')]).toEqual([null, null, '"x"']);
    expect(await decoded.text()).toBe('decoded text');

    vi.stubGlobal('fetch', async () => new Response('raw', { headers: { 'content-encoding': 'compress' } }));
    expect((await fetchTransport(get(), options())).headers.get('content-encoding')).toBe('compress');
    vi.stubGlobal('fetch', async () => new Response(null, { headers: { 'content-encoding': 'gzip' } }));
    expect((await fetchTransport(get({ method: 'HEAD' }), options())).headers.get('content-encoding')).toBe('gzip');
  });
});
