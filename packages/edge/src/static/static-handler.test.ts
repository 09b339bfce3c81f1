import { describe, expect, it, vi } from 'vitest';
import type { AssetStore } from './asset-store.ts';
import { MemoryStore } from './_test-memory-store.ts';
import { createStaticHandler, type FilePlan, type StaticOptions } from './static-handler.ts';

const MODIFIED = new Date('2026-01-02T03:04:05.678Z');
const MODIFIED_TEXT = 'Fri, 02 Jan 2026 03:04:05 GMT';

function store(): MemoryStore {
  return new MemoryStore({
    '/hello.txt': { content: 'hello, world', etag: '"h1"', lastModified: MODIFIED },
    '/index.html': '<h1>home</h1>',
    '/docs/index.html': '<h1>docs</h1>',
    '/app.js': { content: 'console.log("identity")', etag: '"app"' },
    '/app.js.br': { content: 'BR', etag: '"appbr"' },
    '/app.js.gz': { content: 'GZIP', etag: '"appgz"' },
    '/only-gz.css': 'body{}',
    '/only-gz.css.gz': 'GZ',
    '/photo.png': 'PNG',
    '/photo.png.gz': 'GZ',
    '/app.3f2a9c1b.js': 'hashed',
    '/empty.txt': '',
    '/data.unknownext': 'x',
    '/404.html': { content: '<h1>custom 404</h1>', etag: '"nf"' },
  });
}

async function serve(
  path: string,
  init: RequestInit & { url?: string } = {},
  options: StaticOptions = {},
  files: MemoryStore = store(),
): Promise<{ response: Response | null; body: string | null; files: MemoryStore }> {
  const handler = createStaticHandler(options);
  const request = new Request(init.url ?? `https://example.test${path}`, init);
  const response = await handler.serve(request, path, files);
  const body = response === null ? null : await response.text();
  return { response, body, files };
}

function headersOf(response: Response | null): Record<string, string> {
  return Object.fromEntries(response!.headers);
}

describe('static handler: a file', () => {
  it('answers 200 with the body, type, validators, caching and length', async () => {
    const { response, body } = await serve('/hello.txt');
    expect(response!.status).toBe(200);
    expect(body).toBe('hello, world');
    expect(headersOf(response)).toEqual({
      'content-type': 'text/plain; charset=utf-8',
      etag: '"h1"',
      'last-modified': MODIFIED_TEXT,
      'cache-control': 'public, max-age=0, must-revalidate',
      'accept-ranges': 'bytes',
      'content-length': '12',
    });
  });

  it('takes the media type from the name, unknown ones as octet-stream, overrides first, the store before both', async () => {
    const files = store();
    files.set('/typed.bin', { content: 'x', contentType: 'application/x-custom' });
    files.set('/site.webmanifest', '{}');
    const type = async (path: string, options: StaticOptions = {}): Promise<string | null> =>
      (await serve(path, {}, options, files)).response!.headers.get('content-type');
    expect(await type('/app.js')).toBe('text/javascript; charset=utf-8');
    expect(await type('/index.html')).toBe('text/html; charset=utf-8');
    expect(await type('/photo.png')).toBe('image/png');
    expect(await type('/data.unknownext')).toBe('application/octet-stream');
    expect(await type('/data.unknownext', { types: { unknownext: 'text/x-known' } })).toBe('text/x-known');
    expect(await type('/typed.bin')).toBe('application/x-custom');
    expect(await type('/site.webmanifest')).toBe('application/manifest+json; charset=utf-8');
  });

  it('returns null for a missing file, asking the store nothing more than needed', async () => {
    const { response, files } = await serve('/missing.txt');
    expect(response).toBeNull();
    expect(files.asked).toEqual(['/missing.txt', '/missing.txt/index.html']);
  });

  it('answers HEAD with the same head and no body, without reading the file', async () => {
    const get = await serve('/hello.txt');
    const head = await serve('/hello.txt', { method: 'HEAD' });
    expect(head.response!.status).toBe(200);
    expect(head.body).toBe('');
    expect(headersOf(head.response)).toEqual(headersOf(get.response));
    expect(head.files.bodies).toEqual([]);
    expect(head.files.discarded).toEqual(['/hello.txt']);
  });

  it('answers 405 with Allow to other methods on a file, and null where there is none (the pool may take it)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const { response, files } = await serve('/hello.txt', { method });
      expect(response!.status).toBe(405);
      expect(response!.headers.get('allow')).toBe('GET, HEAD');
      expect(files.bodies).toEqual([]);
    }
    expect((await serve('/docs', { method: 'POST' })).response!.status).toBe(405);
    expect((await serve('/api/login', { method: 'POST' })).response).toBeNull();
  });

  it('sends an empty file with Content-Length 0 and no body read', async () => {
    const { response, body, files } = await serve('/empty.txt');
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-length')).toBe('0');
    expect(body).toBe('');
    expect(files.bodies).toEqual([]);
  });

  it('streams a body the store hands out as a stream', async () => {
    const files = store();
    files.streams = true;
    const { response, body } = await serve('/hello.txt', {}, {}, files);
    expect(response!.body).toBeInstanceOf(ReadableStream);
    expect(response!.headers.get('content-length')).toBe('12');
    expect(body).toBe('hello, world');
  });

  it('refuses a path that did not come through safePath', async () => {
    const handler = createStaticHandler();
    for (const path of ['relative', '/a/../b', '/a//b', '/a\\b', '/./a', '/a.', '/nul\0']) {
      await expect(handler.serve(new Request('https://example.test/'), path, store())).rejects.toThrow(TypeError);
    }
  });

  it('refuses options that are not store paths', () => {
    expect(() => createStaticHandler({ spaFallback: 'index.html' })).toThrow(TypeError);
    expect(() => createStaticHandler({ notFound: '/../404.html' })).toThrow(TypeError);
    expect(() => createStaticHandler({ index: ['a/index.html'] })).toThrow(TypeError);
    expect(() => createStaticHandler({ index: ['..'] })).toThrow(TypeError);
  });
});

describe('static handler: conditional requests', () => {
  it.each([
    ['"h1"', 304],
    ['W/"h1"', 304],
    ['"other", "h1"', 304],
    ['"other",W/"h1"', 304],
    ['*', 304],
    ['"other"', 200],
    ['"h1-br"', 200],
    ['h1', 200],
  ])('If-None-Match %s → %i', async (value, status) => {
    const { response, files } = await serve('/hello.txt', { headers: { 'if-none-match': value } });
    expect(response!.status).toBe(status);
    expect(files.bodies.length).toBe(status === 200 ? 1 : 0);
  });

  it('sends a 304 with the validators and caching headers only', async () => {
    const { response, body } = await serve('/hello.txt', { headers: { 'if-none-match': '"h1"' } });
    expect(body).toBe('');
    expect(headersOf(response)).toEqual({
      etag: '"h1"',
      'last-modified': MODIFIED_TEXT,
      'cache-control': 'public, max-age=0, must-revalidate',
    });
  });

  it.each([
    [MODIFIED_TEXT, 304],
    ['Sat, 03 Jan 2026 00:00:00 GMT', 304],
    ['Fri, 02 Jan 2026 03:04:04 GMT', 200],
    ['Friday, 02-Jan-26 03:04:05 GMT', 304],
    ['Fri Jan  2 03:04:05 2026', 304],
    ['not a date', 200],
    ['2026-01-03', 200],
  ])('If-Modified-Since %s → %i', async (value, status) => {
    const { response } = await serve('/hello.txt', { headers: { 'if-modified-since': value } });
    expect(response!.status).toBe(status);
  });

  it('lets If-None-Match decide when both are sent', async () => {
    const headers = { 'if-none-match': '"other"', 'if-modified-since': MODIFIED_TEXT };
    expect((await serve('/hello.txt', { headers })).response!.status).toBe(200);
  });

  it('ignores If-Modified-Since for a file without a date', async () => {
    const headers = { 'if-modified-since': 'Sat, 03 Jan 2099 00:00:00 GMT' };
    expect((await serve('/index.html', { headers })).response!.status).toBe(200);
  });

  it('answers 412 when If-Match or If-Unmodified-Since fails', async () => {
    const status = async (headers: Record<string, string>): Promise<number> => (await serve('/hello.txt', { headers })).response!.status;
    expect(await status({ 'if-match': '"other"' })).toBe(412);
    expect(await status({ 'if-match': 'W/"h1"' })).toBe(412);
    expect(await status({ 'if-match': '"h1"' })).toBe(200);
    expect(await status({ 'if-match': '*' })).toBe(200);
    expect(await status({ 'if-unmodified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' })).toBe(412);
    expect(await status({ 'if-unmodified-since': MODIFIED_TEXT })).toBe(200);
  });

  it('304s the SPA fallback too', async () => {
    const first = await serve('/some/route', { headers: { accept: 'text/html' } }, { spaFallback: '/index.html' });
    const etag = first.response!.headers.get('etag')!;
    const again = await serve('/other/route', { headers: { accept: 'text/html', 'if-none-match': etag } }, { spaFallback: '/index.html' });
    expect(again.response!.status).toBe(304);
  });
});

describe('static handler: ranges', () => {
  const range = (value: string, init: RequestInit = {}) =>
    serve('/hello.txt', { ...init, headers: { range: value, ...(init.headers as Record<string, string>) } });

  it.each([
    ['bytes=0-4', 'bytes 0-4/12', 'hello'],
    ['bytes=7-', 'bytes 7-11/12', 'world'],
    ['bytes=-5', 'bytes 7-11/12', 'world'],
    ['bytes=7-1000', 'bytes 7-11/12', 'world'],
    ['bytes=0-', 'bytes 0-11/12', 'hello, world'],
    ['bytes=0-2,1-4', 'bytes 0-4/12', 'hello'],
    ['bytes=0-1,2-4', 'bytes 0-4/12', 'hello'],
    ['bytes=5-5', 'bytes 5-5/12', ','],
  ])('%s → 206 %s', async (value, contentRange, expected) => {
    const { response, body, files } = await range(value);
    expect(response!.status).toBe(206);
    expect(response!.headers.get('content-range')).toBe(contentRange);
    expect(response!.headers.get('content-length')).toBe(String(expected.length));
    expect(response!.headers.get('etag')).toBe('"h1"');
    expect(body).toBe(expected);
    expect(files.bodies).toHaveLength(1);
    expect(files.bodies[0]!.range).toBeDefined();
  });

  it('slices a streamed body as well', async () => {
    const files = store();
    files.streams = true;
    const { response, body } = await serve('/hello.txt', { headers: { range: 'bytes=3-8' } }, {}, files);
    expect(response!.status).toBe(206);
    expect(body).toBe('lo, wo');
  });

  it.each(['bytes=12-', 'bytes=100-200', 'bytes=12-20'])('%s → 416 with the size', async (value) => {
    const { response, body, files } = await range(value);
    expect(response!.status).toBe(416);
    expect(response!.headers.get('content-range')).toBe('bytes */12');
    expect(body).toBe('');
    expect(files.bodies).toEqual([]);
  });

  it.each(['bytes=abc', 'bytes=5-1', 'items=0-1', 'bytes', 'bytes=0-1,x', 'bytes=0-1,5-8'])('%s → 200 with the whole file', async (value) => {
    const { response, body } = await range(value);
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-range')).toBeNull();
    expect(body).toBe('hello, world');
  });

  it('ignores Range on HEAD, as RFC 9110 defines ranges for GET only', async () => {
    const { response } = await range('bytes=0-4', { method: 'HEAD' });
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-length')).toBe('12');
  });

  it('answers 200 to a suffix range on an empty file', async () => {
    const { response } = await serve('/empty.txt', { headers: { range: 'bytes=-5' } });
    expect(response!.status).toBe(200);
  });

  it.each([
    ['"h1"', 206],
    ['"other"', 200],
    ['W/"h1"', 200],
    [MODIFIED_TEXT, 206],
    ['Sat, 03 Jan 2026 00:00:00 GMT', 200],
    ['garbage', 200],
  ])('If-Range %s → %i', async (value, status) => {
    const { response, body } = await range('bytes=0-4', { headers: { 'if-range': value } });
    expect(response!.status).toBe(status);
    expect(body).toBe(status === 206 ? 'hello' : 'hello, world');
  });

  it('does not let If-Range with a date pass for a file without one', async () => {
    const { response } = await serve('/index.html', { headers: { range: 'bytes=0-1', 'if-range': MODIFIED_TEXT } });
    expect(response!.status).toBe(200);
  });
});

describe('static handler: precompressed sidecars', () => {
  const withEncoding = (value: string | undefined, path = '/app.js', init: RequestInit = {}, options: StaticOptions = {}) =>
    serve(path, { ...init, headers: { ...(value === undefined ? {} : { 'accept-encoding': value }), ...(init.headers as Record<string, string>) } }, options);

  it.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['br, gzip', 'br'],
    ['gzip, br', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0.8, gzip;q=0.9', 'gzip'],
    ['*', 'br'],
    ['br;q=0, *', 'gzip'],
    ['deflate', undefined],
    ['', undefined],
    [undefined, undefined],
    ['identity', undefined],
    ['br;q=0.5, identity', undefined],
    ['br;q=0.5, identity;q=0', 'br'],
    ['identity;q=0', undefined],
    ['br;q=0, gzip;q=0', undefined],
    ['br;q=2', undefined],
    ['br;q=abc, gzip;q=0.1', 'gzip'],
  ])('Accept-Encoding %j → %s', async (value, expected) => {
    const { response, body } = await withEncoding(value);
    expect(response!.headers.get('content-encoding')).toBe(expected ?? null);
    expect(body).toBe(expected === 'br' ? 'BR' : expected === 'gzip' ? 'GZIP' : 'console.log("identity")');
    expect(response!.headers.get('vary')).toBe('Accept-Encoding');
  });

  it('describes a compressed variant with its own length and ETag, the original type, and no Accept-Ranges', async () => {
    const { response } = await withEncoding('br');
    expect(headersOf(response)).toEqual({
      'content-type': 'text/javascript; charset=utf-8',
      'content-encoding': 'br',
      vary: 'Accept-Encoding',
      etag: '"appbr-br"',
      'cache-control': 'public, max-age=0, must-revalidate',
      'content-length': '2',
    });
  });

  it('marks a sidecar body as already encoded (encodeBody: "manual"), so workerd does not compress it again', async () => {
    const inits: (ResponseInit | undefined)[] = [];
    const Real = globalThis.Response;
    vi.stubGlobal(
      'Response',
      class extends Real {
        constructor(body?: BodyInit | null, init?: ResponseInit) {
          super(body, init);
          inits.push(init);
        }
      },
    );
    try {
      await withEncoding('br');
      expect(inits.at(-1)).toMatchObject({ status: 200, encodeBody: 'manual' });
      await withEncoding(undefined);
      expect(inits.at(-1)).not.toHaveProperty('encodeBody');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('gives the identity an ETag apart from every variant, and 304s each only against its own', async () => {
    const identity = (await withEncoding(undefined)).response!.headers.get('etag');
    const br = (await withEncoding('br')).response!.headers.get('etag');
    const gzip = (await withEncoding('gzip')).response!.headers.get('etag');
    expect(new Set([identity, br, gzip]).size).toBe(3);
    const notModified = await withEncoding('br', '/app.js', { headers: { 'if-none-match': br! } });
    expect(notModified.response!.status).toBe(304);
    expect(notModified.response!.headers.get('vary')).toBe('Accept-Encoding');
    expect((await withEncoding('gzip', '/app.js', { headers: { 'if-none-match': br! } })).response!.status).toBe(200);
    expect((await withEncoding(undefined, '/app.js', { headers: { 'if-none-match': br! } })).response!.status).toBe(200);
  });

  it('serves a Range from the identity, with Vary', async () => {
    const { response, body } = await withEncoding('br, gzip', '/app.js', { headers: { range: 'bytes=0-6' } });
    expect(response!.status).toBe(206);
    expect(response!.headers.get('content-encoding')).toBeNull();
    expect(response!.headers.get('vary')).toBe('Accept-Encoding');
    expect(response!.headers.get('etag')).toBe('"app"');
    expect(body).toBe('console');
  });

  it('sends Vary without a sidecar only when one exists', async () => {
    expect((await withEncoding('gzip', '/only-gz.css')).response!.headers.get('content-encoding')).toBe('gzip');
    expect((await withEncoding('br', '/only-gz.css')).response!.headers.get('vary')).toBe('Accept-Encoding');
    expect((await withEncoding('br', '/hello.txt')).response!.headers.get('vary')).toBeNull();
  });

  it('does not look for sidecars of files that are compressed already', async () => {
    const { response, files } = await withEncoding('gzip', '/photo.png');
    expect(response!.headers.get('content-encoding')).toBeNull();
    expect(response!.headers.get('vary')).toBeNull();
    expect(files.asked).toEqual(['/photo.png']);
  });

  it('lets the store release the sidecars it did not send', async () => {
    const { files } = await withEncoding('gzip');
    expect(files.bodies.map((b) => b.path)).toEqual(['/app.js.gz']);
    expect(files.discarded.sort()).toEqual(['/app.js', '/app.js.br']);
  });

  it('serves zstd when asked to, and no sidecar at all when told so', async () => {
    const files = store();
    files.set('/app.js.zst', 'ZSTD');
    const zstd = await serve('/app.js', { headers: { 'accept-encoding': 'zstd, gzip' } }, { precompressed: ['zstd', 'br', 'gzip'] }, files);
    expect(zstd.body).toBe('ZSTD');
    expect(zstd.response!.headers.get('etag')).toBe('"/app.js.zst-4-zstd"');
    const none = await serve('/app.js', { headers: { 'accept-encoding': 'br' } }, { precompressed: [] });
    expect(none.response!.headers.get('content-encoding')).toBeNull();
    expect(none.response!.headers.get('vary')).toBeNull();
    expect(none.files.asked).toEqual(['/app.js']);
  });
});

describe('static handler: index files and directories', () => {
  it('serves the index file of a path ending in /', async () => {
    expect((await serve('/')).body).toBe('<h1>home</h1>');
    const docs = await serve('/docs/');
    expect(docs.body).toBe('<h1>docs</h1>');
    expect(docs.response!.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('tries the index files in the order given, and none when told so', async () => {
    const files = store();
    files.set('/docs/index.htm', 'htm');
    expect((await serve('/docs/', {}, { index: ['index.htm', 'index.html'] }, files)).body).toBe('htm');
    expect((await serve('/docs/', {}, { index: ['default.html', 'index.html'] }, files)).body).toBe('<h1>docs</h1>');
    expect((await serve('/docs/', {}, { index: [] }, files)).response).toBeNull();
    expect((await serve('/nothing-here/')).response).toBeNull();
  });

  it('redirects a directory without its slash, keeping the query', async () => {
    const { response } = await serve('/docs', { url: 'https://example.test/docs?page=2' });
    expect(response!.status).toBe(301);
    expect(response!.headers.get('location')).toBe('/docs/?page=2');
    const permanent = await serve('/docs', {}, { directoryRedirect: 308 });
    expect(permanent.response!.status).toBe(308);
    expect((await serve('/docs', {}, { directoryRedirect: false })).response).toBeNull();
  });

  it('redirects to the path the client used, encoded as it was, never to another host', async () => {
    const prefixed = await serve('/docs', { url: 'https://example.test/static/d%C3%B6cs' });
    expect(prefixed.response!.headers.get('location')).toBe('/static/d%C3%B6cs/');
    const hostLike = await serve('/docs', { url: 'https://example.test//evil.test/docs' });
    expect(hostLike.response!.headers.get('location')).toBe('/evil.test/docs/');
  });
});

describe('static handler: SPA fallback and 404 page', () => {
  const spa: StaticOptions = { spaFallback: '/index.html' };

  it('serves the fallback with 200 to a page request that names no file', async () => {
    const { response, body } = await serve('/app/settings', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } }, spa);
    expect(response!.status).toBe(200);
    expect(body).toBe('<h1>home</h1>');
    expect(response!.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
  });

  it.each([['*/*'], ['application/json'], ['text/html;q=0'], ['text/html; q=0.0']])(
    'does not serve it to Accept %j',
    async (accept) => {
      expect((await serve('/app/settings', { headers: { accept } }, spa)).response).toBeNull();
    },
  );

  it('does not serve it without Accept, nor to other methods', async () => {
    expect((await serve('/app/settings', {}, spa)).response).toBeNull();
    expect((await serve('/app/settings', { method: 'POST', headers: { accept: 'text/html' } }, spa)).response).toBeNull();
  });

  it('prefers a real file to the fallback', async () => {
    expect((await serve('/hello.txt', { headers: { accept: 'text/html' } }, spa)).body).toBe('hello, world');
  });

  it('serves the 404 page with status 404, no validators and no-cache', async () => {
    const { response, body } = await serve('/missing', {}, { notFound: '/404.html' });
    expect(response!.status).toBe(404);
    expect(body).toBe('<h1>custom 404</h1>');
    expect(headersOf(response)).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-length': '19',
    });
  });

  it('answers HEAD with the 404 head and no body, and ignores conditions and ranges on it', async () => {
    const head = await serve('/missing', { method: 'HEAD' }, { notFound: '/404.html' });
    expect(head.response!.status).toBe(404);
    expect(head.body).toBe('');
    expect(head.files.bodies).toEqual([]);
    const conditional = await serve('/missing', { headers: { 'if-none-match': '*', range: 'bytes=0-1' } }, { notFound: '/404.html' });
    expect(conditional.response!.status).toBe(404);
    expect(conditional.body).toBe('<h1>custom 404</h1>');
  });

  it('falls back to the 404 page where the SPA fallback does not apply', async () => {
    const options = { ...spa, notFound: '/404.html' };
    expect((await serve('/api/data', { headers: { accept: 'application/json' } }, options)).response!.status).toBe(404);
    expect((await serve('/page', { headers: { accept: 'text/html' } }, options)).response!.status).toBe(200);
  });

  it('returns null when the configured files are missing', async () => {
    expect((await serve('/x', { headers: { accept: 'text/html' } }, { spaFallback: '/nope.html', notFound: '/nope404.html' })).response).toBeNull();
  });
});

describe('static handler: Cache-Control', () => {
  it('makes hashed names immutable by default', async () => {
    expect((await serve('/app.3f2a9c1b.js')).response!.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('takes a string or a function of the path, and the function may leave the header out', async () => {
    const fixed = await serve('/hello.txt', {}, { cacheControl: 'no-store' });
    expect(fixed.response!.headers.get('cache-control')).toBe('no-store');
    const seen: string[] = [];
    const byPath = await serve('/app.js', { headers: { 'accept-encoding': 'br' } }, {
      cacheControl: (path) => {
        seen.push(path);
        return undefined;
      },
    });
    expect(byPath.response!.headers.get('cache-control')).toBeNull();
    // A sidecar is cached as the file it stands for.
    expect(seen).toEqual(['/app.js', '/app.js']);
  });
});

/** A store that answers at once: null for what it lacks, as a store that remembers misses does. */
function syncStore(files: Record<string, string>, pending: string[] = [], inMemory: string[] = []) {
  // The pending files come through a store that answers in a promise.
  const memory = new MemoryStore(files);
  const discarded: string[] = [];
  const store: AssetStore = {
    get(path: string) {
      if (pending.includes(path)) return memory.get(path);
      if (!memory.files.has(path)) return null;
      const content = memory.files.get(path)!.content;
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      return {
        size: bytes.byteLength,
        etag: `"${bytes.byteLength}"`,
        lastModified: undefined,
        contentType: undefined,
        bytes: inMemory.includes(path) ? bytes : undefined,
        body: () => bytes,
        discard: () => void discarded.push(path),
      };
    },
  };
  return { store, discarded, memory };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('static handler: the plan', () => {
  const request = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
    new Request(`http://edge.test${path}`, { method, headers });

  it('says which file answers, and null exactly where serve finds nothing, without waiting', async () => {
    const files = { '/app.js': 'x', '/docs/index.html': '<h1>', '/index.html': '<h1>', '/404.html': 'gone' };
    const cases: [StaticOptions, string, string, string | undefined, FilePlan['kind'] | null][] = [
      [{}, '/missing.js', 'GET', undefined, null],
      [{}, '/app.js', 'GET', undefined, 'file'],
      [{}, '/app.js', 'POST', undefined, 'methodNotAllowed'],
      [{}, '/docs', 'GET', undefined, 'directoryRedirect'],
      [{}, '/docs', 'DELETE', undefined, 'methodNotAllowed'],
      [{}, '/docs/', 'HEAD', undefined, 'index'],
      [{}, '/nothing/', 'GET', undefined, null],
      [{ directoryRedirect: false }, '/docs', 'GET', undefined, null],
      [{ spaFallback: '/index.html' }, '/route', 'GET', 'text/html', 'spaFallback'],
      [{ spaFallback: '/index.html' }, '/route', 'POST', 'text/html', null],
      [{ spaFallback: '/index.html' }, '/data.json', 'GET', 'application/json', null],
      [{ notFound: '/404.html' }, '/missing.js', 'GET', undefined, 'notFound'],
      [{ notFound: '/404.html' }, '/missing.js', 'POST', undefined, 'notFound'],
    ];
    for (const [options, path, method, accept, kind] of cases) {
      const what = `${method} ${path} ${JSON.stringify(options)} accept ${accept}`;
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const handler = createStaticHandler(options);
      const plan = handler.planAtOnce(request(path, method, headers), path, syncStore(files).store);
      expect(plan === null ? null : plan?.kind, what).toBe(kind);
      const waited = handler.plan(request(path, method, headers), path, syncStore(files).store);
      expect(waited, `${what}: a store that answers at once gets a plan at once`).not.toBeInstanceOf(Promise);
      expect(waited === null ? null : (waited as FilePlan).kind, what).toBe(kind);
      const served = await handler.serve(request(path, method, headers), path, syncStore(files).store);
      expect(served === null, what).toBe(kind === null);
      if (plan) await handler.respond(plan, request(path, method, headers));
    }
  });

  it('declines at the first lookup that would wait, giving back what it got, and what comes later', async () => {
    const handler = createStaticHandler();
    const missing = syncStore({ '/later.js': 'x' }, ['/later.js']);
    expect(handler.planAtOnce(request('/later.js'), '/later.js', missing.store)).toBeUndefined();
    await tick();
    expect(missing.memory.discarded).toEqual(['/later.js']);

    // The file at once, a sidecar later.
    const sidecar = syncStore({ '/app.js': 'x', '/app.js.br': 'y', '/app.js.gz': 'z' }, ['/app.js.br']);
    expect(handler.planAtOnce(request('/app.js'), '/app.js', sidecar.store)).toBeUndefined();
    expect(sidecar.discarded.sort()).toEqual(['/app.js', '/app.js.gz']);
    await tick();
    expect(sidecar.memory.discarded).toEqual(['/app.js.br']);

    // Where the caller waits, the same store gets the whole plan.
    const waited = handler.plan(request('/app.js', 'GET', { 'accept-encoding': 'br' }), '/app.js', sidecar.store);
    expect(waited).toBeInstanceOf(Promise);
    const response = await handler.respond((await waited)!, request('/app.js', 'GET', { 'accept-encoding': 'br' }));
    expect([response.headers.get('content-encoding'), await response.text()]).toEqual(['br', 'y']);
  });

  it('gives back what it got when a lookup fails', async () => {
    const { store: base, discarded } = syncStore({ '/app.js': 'x', '/app.js.br': 'y' });
    const store: AssetStore = {
      get: (path) => (path === '/app.js.gz' ? Promise.reject(new Error('disk gone')) : base.get(path)),
    };
    await expect(createStaticHandler().plan(request('/app.js'), '/app.js', store)).rejects.toThrow('disk gone');
    expect(discarded.sort()).toEqual(['/app.js', '/app.js.br']);
  });

  it('makes an answer without a Response that agrees with the Response, field for field and byte for byte', async () => {
    const files = { '/page.txt': 'page', '/empty.txt': '' };
    const memory = ['/page.txt', '/empty.txt'];
    const handler = createStaticHandler();
    const cases: [string, string, Record<string, string>][] = [
      ['/page.txt', 'GET', {}],
      ['/page.txt', 'HEAD', {}],
      ['/page.txt', 'GET', { 'if-none-match': '"4"' }],
      ['/page.txt', 'GET', { 'if-none-match': '"other"' }],
      ['/page.txt', 'HEAD', { 'if-none-match': '"4"', range: 'bytes=0-1' }],
      ['/empty.txt', 'GET', {}],
    ];
    for (const [path, method, headers] of cases) {
      const what = `${method} ${path} ${JSON.stringify(headers)}`;
      // A plan is answered once: the same decision, made twice over the same files.
      const planned = () => handler.planAtOnce(request(path, method, headers), path, syncStore(files, [], memory).store)!;
      const made = handler.answer(planned(), request(path, method, headers));
      const response = await handler.respond(planned(), request(path, method, headers));
      expect(made, what).toBeDefined();
      expect(made!.status, what).toBe(response.status);
      const fields: [string, string][] = [];
      for (let i = 0; i < made!.headers.length; i += 2) fields.push([made!.headers[i]!, made!.headers[i + 1]!]);
      expect(fields.sort(), what).toEqual([...response.headers].sort());
      expect(new TextDecoder().decode((made!.body as Uint8Array | null) ?? new Uint8Array()), what).toBe(await response.text());
    }
  });

  it('leaves to respond what it does not answer, giving the plan back whole', () => {
    const files = { '/page.txt': 'page', '/disk.txt': 'disk', '/app.js': 'x', '/app.js.br': 'y', '/docs/index.html': 'i', '/404.html': 'gone' };
    const memory = ['/page.txt', '/app.js', '/docs/index.html', '/404.html'];
    const handler = createStaticHandler({ notFound: '/404.html' });
    const cases: [string, Record<string, string>, string[]][] = [
      ['/page.txt', { range: 'bytes=0-1' }, ['/page.txt']],
      ['/page.txt', { 'if-match': '"other"' }, ['/page.txt']],
      ['/disk.txt', {}, ['/disk.txt']],
      ['/app.js', {}, ['/app.js', '/app.js.br']],
      ['/docs/', {}, ['/docs/index.html']],
      ['/docs', {}, ['/docs/index.html']],
      ['/missing.txt', {}, ['/404.html']],
    ];
    for (const [path, headers, given] of cases) {
      const { store, discarded } = syncStore(files, [], memory);
      const plan = handler.planAtOnce(request(path, 'GET', headers), path, store)!;
      expect(handler.answer(plan, request(path, 'GET', headers)), path).toBeUndefined();
      expect(discarded.sort(), path).toEqual(given);
    }
  });

  it('hands back every asset it got and does not send', () => {
    const files = { '/page.txt': 'page', '/empty.txt': '' };
    const handler = createStaticHandler();
    const ask = (path: string, method = 'GET', headers: Record<string, string> = {}) => {
      const { store, discarded } = syncStore(files, [], ['/page.txt', '/empty.txt']);
      const answer = handler.answer(handler.planAtOnce(request(path, method, headers), path, store)!, request(path, method, headers));
      return { status: answer?.status, sent: answer?.body instanceof Uint8Array, discarded };
    };
    expect(ask('/page.txt')).toEqual({ status: 200, sent: true, discarded: [] });
    expect(ask('/page.txt', 'HEAD')).toEqual({ status: 200, sent: false, discarded: ['/page.txt'] });
    expect(ask('/page.txt', 'GET', { 'if-none-match': '"4"' })).toEqual({ status: 304, sent: false, discarded: ['/page.txt'] });
    expect(ask('/empty.txt')).toEqual({ status: 200, sent: false, discarded: ['/empty.txt'] });
  });

  it('takes only plans it made', async () => {
    const handler = createStaticHandler();
    const forged: FilePlan = { kind: 'file', file: '/page.txt' };
    await expect(handler.respond(forged, request('/page.txt'))).rejects.toThrow(TypeError);
    expect(() => handler.answer(forged, request('/page.txt'))).toThrow(TypeError);
  });
});
