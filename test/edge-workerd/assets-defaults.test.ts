// assetsBinding over the REAL Workers assets binding under its DEFAULT
// settings (html_handling "auto-trailing-slash", not_found_handling "none")
// and a _redirects file: worker/assets-defaults.ts, started once in real
// workerd by wrangler's unstable_startWorker with
// worker/wrangler.assets-defaults.toml (run_worker_first, so the edge sees
// every request) over worker/public-defaults. What a client gets over HTTP
// is checked against what the edge README and assets-binding.ts promise;
// what the binding itself answers is checked against what the fake binding
// of packages/edge/src/static/assets-binding.test.ts models.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_startWorker } from 'wrangler';
import type { BindingAnswer } from './worker/assets-defaults.ts';

// No Request.cf download (offline it waits 3 s per start), and the
// workspace packages bundled from their sources, as the other tests use them.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_BUILD_CONDITIONS = '@gatehouse/source,workerd,worker,browser';

const HERE = import.meta.dirname;
const CONFIG = join(HERE, 'worker/wrangler.assets-defaults.toml');
const PUBLIC = join(HERE, 'worker/public-defaults');
const file = (name: string): string => readFileSync(join(PUBLIC, name), 'utf8');
const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';
const NOT_FOUND = 'Not Found\n'; // the edge's own 404 for a `static` route

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A GET over a plain socket, as a client sends it: no redirect followed,
 * nothing decoded (`identity`, or local workerd gzips HTML on the way out).
 */
function get(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    httpRequest(new URL(path, base).href, { headers: { 'accept-encoding': 'identity' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** What the binding itself answers for `path`, asked as the store asks it (worker/assets-defaults.ts's `/__binding/` route). */
async function binding(path: string): Promise<BindingAnswer> {
  const answer = await get(`/__binding${path}`);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body) as BindingAnswer;
}

let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let base: URL;

beforeAll(async () => {
  worker = await unstable_startWorker({
    config: CONFIG,
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, watch: false, persist: false, logLevel: 'none' },
  });
  await worker.ready;
  base = await worker.url;
});

afterAll(async () => {
  await worker?.dispose();
});

describe('assetsBinding under the binding defaults: what a client gets', () => {
  // The binding redirects every one of the .html names (307) and serves
  // `/about` and `/docs/` itself; the store follows the redirect to the short
  // name of the same file, so the client gets the file at the name it asked
  // for, with no redirect, and the binding's ETag and type.
  it.each([
    ['/', 'index.html', HTML],
    ['/index.html', 'index.html', HTML],
    ['/about', 'about.html', HTML],
    ['/about.html', 'about.html', HTML],
    ['/docs/', 'docs/index.html', HTML],
    ['/docs/index.html', 'docs/index.html', HTML],
    ['/data.txt', 'data.txt', TEXT],
  ])('%s: 200 with %s', async (path, name, type) => {
    const answer = await get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    expect(answer.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(answer.body).toBe(file(name));
  });

  it('gives a file the same ETag under each of its names', async () => {
    const tags = await Promise.all(['/about', '/about.html', '/', '/index.html', '/docs/', '/docs/index.html'].map(async (path) => (await get(path)).headers.etag));
    expect(tags[0]).toBe(tags[1]);
    expect(tags[2]).toBe(tags[3]);
    expect(tags[4]).toBe(tags[5]);
    expect(new Set(tags).size).toBe(3);
  });

  it("/docs: the edge's own 301 to /docs/, not the binding's 307", async () => {
    const answer = await get('/docs');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe('/docs/');
    expect(answer.body).toBe('');
  });

  it.each(['/missing', '/missing.txt', '/missing.html', '/missing/', '/index', '/docs/index', '/_redirects'])(
    '%s: the edge 404, not the binding (nor its redirects)',
    async (path) => {
      const answer = await get(path);
      expect(answer.status).toBe(404);
      expect(answer.headers.location).toBeUndefined();
      expect(answer.body).toBe(NOT_FOUND);
    },
  );

  // assets-binding.ts: "any other redirect (a `_redirects` rule, say) means
  // the file itself is not there to serve". The binding does apply the
  // rules (the store asks it with redirect: 'manual'), but the store turns
  // every redirect but an html_handling one into "no file": a `static`
  // route answers 404, and a `tryFiles` route would pass the request to
  // its pool. The client never sees the rule's status or Location.
  it.each([
    ['/old', 301, '/about'],
    ['/go', 302, '/docs/'],
    ['/legacy.html', 301, '/about'],
  ] as const)('_redirects %s: the binding answers %i to %s; the client gets the edge 404', async (path, status, location) => {
    const raw = await binding(path);
    expect([raw.status, raw.location]).toEqual([status, location]);
    const answer = await get(path);
    expect(answer.status).toBe(404);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.body).toBe(NOT_FOUND);
  });

  // The real binding redirects `/about/index.html` (a file that does not
  // exist) and `/about/` to `/about`, because about.html exists; `/about`
  // is a short name of `/about/index.html` too (without trailing slashes),
  // so the store checks that about.html does not own it before following.
  it.each(['/about/', '/about/index.html'])('%s names no file: 404', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe(NOT_FOUND);
  });
});

describe('the real binding, as the fake in assets-binding.test.ts models it', () => {
  it('serves a file with a strong ETag and its type, and no Content-Length or Last-Modified', async () => {
    const answer = await binding('/data.txt');
    expect(answer).toEqual({
      status: 200,
      location: null,
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      contentType: TEXT,
      contentLength: null,
      body: file('data.txt'),
    });
    expect(await binding('/missing.txt')).toEqual({ status: 404, location: null, etag: null, contentType: null, contentLength: null, body: '' });
  });

  it('auto-trailing-slash: 307 from the .html names and from /docs, and /about and /docs/ served', async () => {
    const cases: [string, number, string | null][] = [
      ['/', 200, null],
      ['/index.html', 307, '/'],
      ['/about', 200, null],
      ['/about.html', 307, '/about'],
      ['/docs', 307, '/docs/'],
      ['/docs/', 200, null],
      ['/docs/index.html', 307, '/docs/'],
    ];
    const seen = await Promise.all(cases.map(async ([path]) => binding(path)));
    expect(seen.map((answer, i) => [cases[i]![0], answer.status, answer.location])).toEqual(cases);
  });

  // Where the fake differs (it does not change what the store does with
  // them, as it takes any 3xx alike, but the store's tests never meet them):
  // the fake answers every `_redirects` rule with 307, and serves `/index`
  // and `/docs/index` from their .html files and 404s `/about/` and
  // `/about/index.html`.
  it('not in the fake: _redirects keep their own status, and the binding redirects names that are no file', async () => {
    const cases: [string, number, string | null][] = [
      ['/old', 301, '/about'],
      ['/go', 302, '/docs/'],
      ['/index', 307, '/'],
      ['/docs/index', 307, '/docs/'],
      ['/about/', 307, '/about'],
      ['/about/index.html', 307, '/about'],
    ];
    const seen = await Promise.all(cases.map(async ([path]) => binding(path)));
    expect(seen.map((answer, i) => [cases[i]![0], answer.status, answer.location])).toEqual(cases);
  });
});
