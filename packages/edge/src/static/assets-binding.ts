import type { Asset, AssetBody, AssetStore, ByteRange } from './asset-store.ts';
import { isStorePath } from './safe-path.ts';
import { sliceStream, withKnownLength } from './_slice-stream.ts';

/**
 * The part of a Workers static-assets binding (`env.ASSETS`) the store
 * uses. Any `Fetcher` is one; so is anything else with this `fetch`.
 */
export interface AssetsFetcher {
  fetch(request: Request): Promise<Response>;
}

/** Options of {@link assetsBinding}. */
export interface AssetsBindingOptions {
  /**
   * When the binding sends no `Content-Length`, the store reads a file
   * through to learn its size (once per file and isolate: sizes are
   * remembered by ETag, which is a content hash). A file up to this many
   * bytes is kept from that read and served from memory; a larger one is
   * fetched again when its body is sent. Defaults to 1 MiB.
   */
  bufferLimit?: number;
}

// The binding looks at the path only; the host is never resolved.
const ORIGIN = 'https://assets.invalid';
const REMEMBERED_SIZES = 4096;

/**
 * An {@link AssetStore} over a Workers static-assets binding, so the edge's
 * static handler serves the files uploaded with a Worker (`assets =
 * { directory, binding = "ASSETS", run_worker_first = true }`) with what the
 * binding itself lacks: 206 for ranges, precompressed sidecars,
 * `immutable` for hashed names.
 *
 * The binding takes the file's ETag (a strong content hash), media type
 * and bytes; it sends no `Content-Length` or `Last-Modified` (measured in
 * local workerd, wrangler 4.156), so the size comes from `Content-Length`
 * when there is one and otherwise from reading the file once (see
 * {@link AssetsBindingOptions.bufferLimit}). Ranges are cut by reading
 * and dropping the bytes before them. One GET per `get`: its body is what
 * `body()` sends, or is cancelled when the handler sends none.
 *
 * A missing file is `null`: any answer but 200 is, so the binding's
 * redirects (its `html_handling`) and its 404 pages never leak through.
 * Under `html_handling` other than `"none"`, a file named `….html` is
 * only reachable through the binding's redirect to its short name
 * (`/index.html` → `/`, `/about.html` → `/about`): the store follows that
 * one redirect. Set `html_handling = "none"` for exact names and one
 * request per file, and leave `not_found_handling` at `"none"` (the
 * default): the binding's SPA fallback answers 200 for missing files,
 * which no store can tell from a file. The edge's `spaFallback` and
 * `notFound` options do that job instead.
 *
 * @example
 * ```ts
 * import { assetsBinding, createStaticHandler, safePath, type AssetStore } from '@gatehouse/edge'
 *
 * const statics = createStaticHandler()
 * let assets: AssetStore | undefined // one per isolate: it remembers sizes
 *
 * export default {
 *   async fetch(request: Request, env: { ASSETS: { fetch(request: Request): Promise<Response> } }) {
 *     assets ??= assetsBinding(env.ASSETS)
 *     const path = safePath(new URL(request.url).pathname)
 *     if (path === null) return new Response('Bad Request', { status: 400 })
 *     return (await statics.serve(request, path, assets)) ?? new Response('Not Found', { status: 404 })
 *   },
 * }
 * ```
 */
export function assetsBinding(binding: AssetsFetcher, options: AssetsBindingOptions = {}): AssetStore {
  const bufferLimit = options.bufferLimit ?? 1024 * 1024;
  const sizes = new Map<string, number>();
  const remember = (etag: string, size: number): void => {
    if (sizes.size >= REMEMBERED_SIZES) sizes.delete(sizes.keys().next().value!);
    sizes.set(etag, size);
  };
  const request = (url: string): Promise<Response> => binding.fetch(new Request(url, { redirect: 'manual' }));

  return {
    async get(path) {
      if (!isStorePath(path) || path.endsWith('/')) return null;
      let url = ORIGIN + encodePath(path);
      let response = await request(url);
      if (response.status >= 300 && response.status < 400 && path.endsWith('.html')) {
        const target = shortName(path, response.headers.get('location'));
        await cancel(response);
        if (target === undefined) return null;
        // `/a` is the short name of `/a.html` and, without trailing slashes,
        // of `/a/index.html`; `/a/` of either, with them. When the other file
        // exists, the binding sends a missing file to it: not ours to serve.
        const other = otherOwner(path, target);
        if (other !== undefined) {
          const owner = await request(ORIGIN + encodePath(other));
          await cancel(owner);
          if (owner.status === 200 || (owner.status >= 300 && owner.status < 400 && shortName(other, owner.headers.get('location')) === target)) return null;
        }
        url = ORIGIN + target;
        response = await request(url);
      }
      if (response.status !== 200) {
        await cancel(response);
        return null;
      }
      const etag = response.headers.get('etag');
      if (etag === null) {
        await cancel(response);
        throw new Error(`The assets binding sent no ETag for ${path}`);
      }
      const modified = response.headers.get('last-modified');
      const lastModified = modified === null ? undefined : new Date(modified);
      const meta: Meta = {
        etag,
        contentType: response.headers.get('content-type') ?? undefined,
        lastModified: lastModified === undefined || Number.isNaN(lastModified.getTime()) ? undefined : lastModified,
        path,
        refetch: async () => {
          const again = await request(url);
          if (again.status !== 200 || again.headers.get('etag') !== etag || again.body === null) {
            await cancel(again);
            throw new Error(`The asset ${path} changed while it was being served`);
          }
          return again.body;
        },
      };

      const size = contentLength(response.headers) ?? sizes.get(etag);
      if (size !== undefined) return new BindingAsset(meta, size, response.body ?? undefined, undefined);
      const measured = await measure(response.body, bufferLimit);
      remember(etag, measured.size);
      return new BindingAsset(meta, measured.size, undefined, measured.bytes);
    },
  };
}

interface Meta {
  readonly etag: string;
  readonly contentType: string | undefined;
  readonly lastModified: Date | undefined;
  readonly path: string;
  readonly refetch: () => Promise<ReadableStream<Uint8Array>>;
}

class BindingAsset implements Asset {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date | undefined;
  readonly contentType: string | undefined;
  readonly #refetch: () => Promise<ReadableStream<Uint8Array>>;
  /** The body of the GET `get` made, until it is sent or discarded. */
  #stream: ReadableStream<Uint8Array> | undefined;
  /** The whole file, when it was read to learn its size and is small. */
  readonly #bytes: Uint8Array<ArrayBuffer> | undefined;

  constructor(meta: Meta, size: number, stream: ReadableStream<Uint8Array> | undefined, bytes: Uint8Array<ArrayBuffer> | undefined) {
    this.size = size;
    this.etag = meta.etag;
    this.lastModified = meta.lastModified;
    this.contentType = meta.contentType;
    this.#refetch = meta.refetch;
    this.#stream = stream;
    this.#bytes = bytes;
  }

  async body(range?: ByteRange): Promise<AssetBody> {
    if (this.#bytes !== undefined) return range === undefined ? this.#bytes : this.#bytes.subarray(range.start, range.end + 1);
    const held = this.#stream;
    this.#stream = undefined;
    const stream = held ?? (await this.#refetch());
    if (range === undefined) return stream;
    return withKnownLength(sliceStream(stream, range.start, range.end), range.end - range.start + 1);
  }

  discard(): void {
    const held = this.#stream;
    this.#stream = undefined;
    held?.cancel().catch(() => {});
  }
}

/** `/a b/é+.txt` → `/a%20b/%C3%A9%2B.txt`: each segment as the binding encodes it, or it redirects. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The path the binding's `html_handling` redirect leads to, if it is the
 * short name of the same `.html` file (`/a/index.html` → `/a/` or `/a`,
 * `/a.html` → `/a` or `/a/`), else undefined: any other redirect (a
 * `_redirects` rule, say) means the file itself is not there to serve.
 */
function shortName(path: string, location: string | null): string | undefined {
  if (location === null) return undefined;
  let target: URL;
  try {
    target = new URL(location, ORIGIN);
  } catch {
    return undefined;
  }
  if (target.origin !== ORIGIN) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(target.pathname);
  } catch {
    return undefined;
  }
  const stem = path.slice(0, -'.html'.length);
  const candidates = [stem, `${stem}/`];
  if (path.endsWith('/index.html')) {
    const folder = path.slice(0, -'index.html'.length);
    candidates.push(folder, folder.slice(0, -1));
  }
  return candidates.includes(decoded) && decoded !== '' ? target.pathname : undefined;
}

/**
 * The other `.html` file whose short name `target` may be (`/a/index.html`
 * for `/a.html` followed to `/a/`, `/a.html` for `/a/index.html` followed
 * to `/a`), or undefined when `target` can only be `path`'s.
 */
function otherOwner(path: string, target: string): string | undefined {
  if (path.endsWith('/index.html')) {
    const folder = path.slice(0, -'/index.html'.length);
    return folder !== '' && target === encodePath(folder) ? `${folder}.html` : undefined;
  }
  const stem = path.slice(0, -'.html'.length);
  return target === `${encodePath(stem)}/` ? `${stem}/index.html` : undefined;
}

function contentLength(headers: Headers): number | undefined {
  const value = headers.get('content-length');
  if (value === null || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** Read `body` through to count it; keep the bytes if there are at most `limit`. */
async function measure(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<{ size: number; bytes: Uint8Array<ArrayBuffer> | undefined }> {
  if (body === null) return { size: 0, bytes: new Uint8Array(0) };
  let size = 0;
  let chunks: Uint8Array[] | undefined = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (chunks !== undefined) {
      if (size <= limit) chunks.push(value);
      else chunks = undefined;
    }
  }
  if (chunks === undefined) return { size, bytes: undefined };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { size, bytes };
}

async function cancel(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
