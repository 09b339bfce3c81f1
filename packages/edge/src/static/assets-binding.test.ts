// These tests run the store against a FAKE binding, built from real
// Request and Response objects and modelled on what the Workers assets
// binding did when measured in local workerd (wrangler 4.156): a strong
// content-hash ETag, Content-Type, no Content-Length, no Last-Modified,
// Range ignored, 404 with an empty body for a missing file, and
// html_handling "auto-trailing-slash" redirects (307) by default. The real
// binding under its default settings, with a _redirects file, is tested in
// real workerd by test/edge-workerd/assets-defaults.test.ts (with
// html_handling "none" by test/edge-workerd/edge.test.ts), which also
// lists where the real binding differs from this fake.
import { describe, expect, it, vi } from 'vitest';
import { assetsBinding, type AssetsFetcher } from './assets-binding.ts';
import { createStaticHandler } from './static-handler.ts';

interface FakeFile {
  readonly bytes: Uint8Array<ArrayBuffer>;
  etag: string;
  readonly type: string | undefined;
}

/** One response body the fake sent: how far it was read, and whether it was cancelled. */
interface Sent {
  readonly path: string;
  pulled: number;
  cancelled: boolean;
}

class FakeAssets implements AssetsFetcher {
  readonly files = new Map<string, FakeFile>();
  /** Redirects of a `_redirects` file: path → location. */
  readonly redirects = new Map<string, string>();
  htmlHandling: 'auto-trailing-slash' | 'none' = 'auto-trailing-slash';
  sendLength = false;
  chunkSize = 3;
  /** The URL pathname of every request, as sent. */
  readonly requested: string[] = [];
  readonly sent: Sent[] = [];

  add(path: string, content: string, type?: string): this {
    const bytes = new TextEncoder().encode(content);
    this.files.set(path, { bytes, etag: `"${hash(content)}"`, type });
    return this;
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requested.push(url.pathname);
    const path = url.pathname
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
    const canonical = path.split('/').map(encodeURIComponent).join('/');
    if (canonical !== url.pathname) return this.redirect(canonical);
    const redirect = this.redirects.get(path);
    if (redirect !== undefined) return this.redirect(redirect);
    if (this.htmlHandling === 'none') return this.serve(path);
    // The part of auto-trailing-slash the store meets.
    if (path.endsWith('/index.html') && this.files.has(path)) return this.redirect(path.slice(0, -'index.html'.length));
    if (path.endsWith('.html') && this.files.has(path)) return this.redirect(path.slice(0, -'.html'.length));
    if (path.endsWith('/')) return this.serve(`${path}index.html`);
    if (this.files.has(path)) return this.serve(path);
    if (this.files.has(`${path}.html`)) return this.serve(`${path}.html`);
    if (this.files.has(`${path}/index.html`)) return this.redirect(`${path}/`);
    return this.serve(path);
  }

  private redirect(location: string): Response {
    return new Response(null, { status: 307, headers: { location } });
  }

  private serve(path: string): Response {
    const file = this.files.get(path);
    if (file === undefined) return new Response(this.stream(path, new Uint8Array(0)), { status: 404 });
    const headers = new Headers({ etag: file.etag, 'cache-control': 'public, max-age=0, must-revalidate' });
    if (file.type !== undefined) headers.set('content-type', file.type);
    if (this.sendLength) headers.set('content-length', String(file.bytes.byteLength));
    return new Response(this.stream(path, file.bytes), { status: 200, headers });
  }

  private stream(path: string, bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
    const sent: Sent = { path, pulled: 0, cancelled: false };
    this.sent.push(sent);
    const size = this.chunkSize;
    return new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (sent.pulled >= bytes.byteLength) {
            controller.close();
            return;
          }
          controller.enqueue(bytes.slice(sent.pulled, sent.pulled + size));
          sent.pulled = Math.min(sent.pulled + size, bytes.byteLength);
        },
        cancel() {
          sent.cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
  }
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0').repeat(4);
}

async function text(body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>): Promise<string> {
  return new Response(body).text();
}

function site(): FakeAssets {
  return new FakeAssets()
    .add('/hello.txt', 'hello, world', 'text/plain; charset=utf-8')
    .add('/index.html', '<h1>home</h1>', 'text/html; charset=utf-8')
    .add('/about.html', '<h1>about</h1>', 'text/html; charset=utf-8')
    .add('/docs/index.html', '<h1>docs</h1>', 'text/html; charset=utf-8')
    .add('/app.js', 'console.log("identity")', 'text/javascript; charset=utf-8')
    .add('/app.js.br', 'BROTLI')
    .add('/a b+é.txt', 'odd name', 'text/plain; charset=utf-8')
    .add('/%2e%2e/x', 'literal percent name', 'text/plain; charset=utf-8');
}

describe('assetsBinding', () => {
  it('takes the ETag and type from the binding and the size from reading a file it sends no length for', async () => {
    const binding = site();
    const asset = await assetsBinding(binding).get('/hello.txt');
    expect(asset).toMatchObject({ size: 12, etag: binding.files.get('/hello.txt')!.etag, contentType: 'text/plain; charset=utf-8', lastModified: undefined });
    expect(await text(await asset!.body())).toBe('hello, world');
    expect(await text(await asset!.body({ start: 7, end: 11 }))).toBe('world');
    // Read once to count it, served from that read.
    expect(binding.requested).toEqual(['/hello.txt']);
  });

  it('answers null for a missing file, and cancels the 404 body', async () => {
    const binding = site();
    expect(await assetsBinding(binding).get('/missing.txt')).toBeNull();
    expect(binding.sent.map((s) => [s.path, s.cancelled])).toEqual([['/missing.txt', true]]);
  });

  it("lets none of the binding's html_handling through: a folder is missing, a .html file is found by its short name", async () => {
    const binding = site();
    const store = assetsBinding(binding);
    expect(await store.get('/docs')).toBeNull();
    expect(await store.get('/about')).not.toBeNull(); // what the binding calls pretty URLs; exact with html_handling "none"
    const cases: [string, string, string][] = [
      ['/index.html', '/', '<h1>home</h1>'],
      ['/docs/index.html', '/docs/', '<h1>docs</h1>'],
      ['/about.html', '/about', '<h1>about</h1>'],
    ];
    for (const [path, shortName, content] of cases) {
      binding.requested.length = 0;
      const asset = await store.get(path);
      expect(await text(await asset!.body())).toBe(content);
      expect(binding.requested).toEqual([path, shortName]);
    }
  });

  it('asks for exact names only, one request each, under html_handling "none"', async () => {
    const binding = site();
    binding.htmlHandling = 'none';
    const store = assetsBinding(binding);
    expect(await text(await (await store.get('/docs/index.html'))!.body())).toBe('<h1>docs</h1>');
    expect(await store.get('/about')).toBeNull();
    expect(binding.requested).toEqual(['/docs/index.html', '/about']);
  });

  it('follows no redirect but the short name of the same .html file', async () => {
    const binding = site();
    binding.redirects.set('/old.html', '/about');
    binding.redirects.set('/moved.txt', '/hello.txt');
    binding.redirects.set('/away.html', 'https://elsewhere.test/away');
    const store = assetsBinding(binding);
    expect(await store.get('/old.html')).toBeNull();
    expect(await store.get('/moved.txt')).toBeNull();
    expect(await store.get('/away.html')).toBeNull();
    expect(binding.requested).toEqual(['/old.html', '/moved.txt', '/away.html']);
  });

  it('encodes each segment as the binding does, so a literal % never decodes twice', async () => {
    const binding = site();
    const store = assetsBinding(binding);
    expect(await text(await (await store.get('/a b+é.txt'))!.body())).toBe('odd name');
    expect(await text(await (await store.get('/%2e%2e/x'))!.body())).toBe('literal percent name');
    expect(binding.requested).toEqual(['/a%20b%2B%C3%A9.txt', '/%252e%252e/x']);
  });

  it('asks the binding nothing for a path that is not a store path', async () => {
    const binding = site();
    const store = assetsBinding(binding);
    for (const path of ['/', '/docs/', 'hello.txt', '/../hello.txt', '/a//b']) expect(await store.get(path)).toBeNull();
    expect(binding.requested).toEqual([]);
  });

  it('with a Content-Length, reads nothing in get and sends the body of the same GET', async () => {
    const binding = site();
    binding.sendLength = true;
    const store = assetsBinding(binding);
    const asset = await store.get('/hello.txt');
    expect(asset!.size).toBe(12);
    expect(binding.sent[0]!.pulled).toBe(0);
    expect(await text(await asset!.body())).toBe('hello, world');
    expect(binding.requested).toEqual(['/hello.txt']);
  });

  it('cuts a range from the stream, stopping after it', async () => {
    const binding = site();
    binding.sendLength = true;
    const asset = await assetsBinding(binding).get('/hello.txt');
    expect(await text(await asset!.body({ start: 3, end: 4 }))).toBe('lo');
    expect(binding.sent[0]).toMatchObject({ pulled: 6, cancelled: true });
  });

  it("gives a cut range workerd's FixedLengthStream where there is one, so Content-Length survives", async () => {
    const lengths: number[] = [];
    vi.stubGlobal(
      'FixedLengthStream',
      class extends TransformStream<Uint8Array, Uint8Array> {
        constructor(length: number) {
          super();
          lengths.push(length);
        }
      },
    );
    try {
      const binding = site();
      binding.sendLength = true;
      const asset = await assetsBinding(binding).get('/hello.txt');
      expect(await text(await asset!.body({ start: 7, end: 11 }))).toBe('world');
      expect(lengths).toEqual([5]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('cancels the GET when the handler discards the asset', async () => {
    const binding = site();
    binding.sendLength = true;
    const asset = await assetsBinding(binding).get('/hello.txt');
    asset!.discard!();
    expect(binding.sent[0]).toMatchObject({ pulled: 0, cancelled: true });
  });

  it('keeps no large file in memory: counts it, remembers its size, fetches it again for the body', async () => {
    const binding = site();
    binding.add('/big.bin', 'x'.repeat(100) + 'TAIL');
    const store = assetsBinding(binding, { bufferLimit: 50 });
    const first = await store.get('/big.bin');
    expect(first!.size).toBe(104);
    expect(binding.sent[0]!.pulled).toBe(104);
    expect(await text(await first!.body({ start: 100, end: 103 }))).toBe('TAIL');
    expect(binding.requested).toEqual(['/big.bin', '/big.bin']);

    // The size is remembered by ETag: the next get reads nothing.
    const second = await store.get('/big.bin');
    expect(second!.size).toBe(104);
    expect(binding.sent[2]!.pulled).toBe(0);
    expect(await text(await second!.body())).toHaveLength(104);
    expect(binding.requested).toHaveLength(3);
  });

  it('refuses to send a body that changed after get', async () => {
    const binding = site();
    binding.add('/big.bin', 'x'.repeat(100));
    const asset = await assetsBinding(binding, { bufferLimit: 10 }).get('/big.bin');
    binding.add('/big.bin', 'y'.repeat(100));
    await expect(asset!.body()).rejects.toThrow(/changed/);
  });

  it('fails loudly when the binding sends no ETag', async () => {
    const binding: AssetsFetcher = { fetch: async () => new Response('x', { status: 200 }) };
    await expect(assetsBinding(binding).get('/x.txt')).rejects.toThrow(/no ETag/);
  });

  it('gives the static handler what the binding lacks: 206, 304, precompressed sidecars, immutable, its own redirects', async () => {
    const binding = site();
    binding.add('/chunk-5D3KQ2ZC.js', 'hashed');
    const store = assetsBinding(binding);
    const statics = createStaticHandler();
    const serve = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      statics.serve(new Request(`https://example.test${path}`, { headers, method }), path, store);

    const partial = (await serve('/hello.txt', { range: 'bytes=0-4' }))!;
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 0-4/12');
    expect(await partial.text()).toBe('hello');

    const etag = (await serve('/hello.txt'))!.headers.get('etag')!;
    expect((await serve('/hello.txt', { 'if-none-match': etag }))!.status).toBe(304);

    const br = (await serve('/app.js', { 'accept-encoding': 'gzip, br' }))!;
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await br.text()).toBe('BROTLI');

    expect((await serve('/chunk-5D3KQ2ZC.js'))!.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    const redirect = (await serve('/docs'))!;
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');
    expect(await (await serve('/docs/'))!.text()).toBe('<h1>docs</h1>');
    expect(await (await serve('/'))!.text()).toBe('<h1>home</h1>');
    expect(await serve('/missing.txt')).toBeNull();
  });

  it('leaves no GET of the binding unread or uncancelled, whatever the handler answers', async () => {
    const binding = site();
    binding.sendLength = true;
    const store = assetsBinding(binding);
    const statics = createStaticHandler();
    const serve = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<void> => {
      const response = await statics.serve(new Request(`https://example.test${path}`, { headers, method }), path, store);
      await response?.text();
    };
    await serve('/hello.txt', {}, 'HEAD');
    await serve('/hello.txt', { 'if-none-match': binding.files.get('/hello.txt')!.etag });
    await serve('/hello.txt', { range: 'bytes=100-' });
    await serve('/hello.txt', {}, 'POST');
    await serve('/app.js', { 'accept-encoding': 'br' });
    await serve('/app.js');
    for (const sent of binding.sent) {
      const file = binding.files.get(sent.path);
      expect(sent.cancelled || sent.pulled === (file?.bytes.byteLength ?? 0), `${sent.path}: ${JSON.stringify(sent)}`).toBe(true);
    }
    expect(binding.sent.filter((s) => s.cancelled).length).toBeGreaterThanOrEqual(6);
  });
});
