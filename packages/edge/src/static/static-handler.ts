import type { Asset, AssetBody, AssetStore, ByteRange } from './asset-store.ts';
import { negotiateEncoding } from './_accept-encoding.ts';
import { defaultCacheControl } from './cache-control.ts';
import { matchesEtag, parseHttpDate, seconds } from './_conditional.ts';
import { contentTypes, isCompressible } from './_content-type.ts';
import { readRange } from './_range.ts';
import { isStorePath } from './safe-path.ts';
import type { FieldReader, HeadAnswer, RequestHead } from '@gatehouse/core';

/** A content coding the handler can serve from a precompressed sidecar file. */
export type PrecompressedEncoding = 'br' | 'zstd' | 'gzip';

const SIDECAR: Readonly<Record<PrecompressedEncoding, string>> = { br: '.br', zstd: '.zst', gzip: '.gz' };

/** Options of {@link createStaticHandler}. */
export interface StaticOptions {
  /**
   * Files tried, in order, for a path that ends in `/` (nginx's `index`).
   * Defaults to `['index.html']`; `[]` turns index files off.
   */
  index?: readonly string[];
  /**
   * How `/docs` is answered when it names no file but `/docs/` has an
   * index file: a redirect to `/docs/` with this status (nginx sends 301),
   * or `false` to treat it as missing. Defaults to 301.
   */
  directoryRedirect?: 301 | 308 | false;
  /**
   * The store path of a file (an SPA's `/index.html`) served with 200 to
   * GET and HEAD requests that name no file and accept `text/html`, so
   * client-side routes load the app. Off by default.
   */
  spaFallback?: string;
  /**
   * The store path of a file served with status 404 when nothing else
   * answers (nginx's `error_page 404`). Off by default: `serve` then
   * returns `null`, so the caller can try something else.
   */
  notFound?: string;
  /**
   * The `Cache-Control` of answers from a file (200, 206, 304): one value
   * for all, or a function of the file's store path (`undefined`: no
   * header). Defaults to {@link defaultCacheControl}: a year and
   * `immutable` for hashed names, revalidation for the rest. The function
   * is called once per file (per asset a store hands out), not per request.
   */
  cacheControl?: string | ((path: string) => string | undefined);
  /**
   * Precompressed sidecars to look for beside a compressible file
   * (`app.js.br`, `app.js.zst`, `app.js.gz`), in order of preference when
   * the client weighs them equally. Defaults to `['br', 'gzip']`; `[]`
   * turns them off.
   */
  precompressed?: readonly PrecompressedEncoding[];
  /**
   * Media types by extension, over the built-in table (mrmime):
   * `{ webmanifest: 'application/manifest+json' }`. Used as given; the
   * built-in text types get `charset=utf-8`.
   */
  types?: Readonly<Record<string, string>>;
}

/** What the handler reads of a request head (a {@link RequestHead} or a `Request`). */
export type FileRequestHead = Pick<RequestHead, 'method'> & { readonly headers: FieldReader };

/** Serves files from an {@link AssetStore}; see {@link createStaticHandler}. */
export interface StaticHandler {
  /**
   * Answer `request` from the file at `path` (a store path, as `safePath`
   * returns it), or `null` when there is no such file and neither an SPA
   * fallback nor a 404 page applies: the caller then passes the request
   * on (try_files) or answers 404 itself. Throws a TypeError for a path
   * that is not a store path.
   */
  serve(request: Request, path: string, store: AssetStore): Promise<Response | null>;
  /**
   * The same answer for a plain GET or HEAD of a file the store holds in
   * memory (`Asset.bytes`), made at once without a Request or a Response;
   * `undefined` for anything `serve` must handle (ranges, sidecars, a
   * failed precondition, a missing file). A server that can write such an
   * answer itself saves the objects' cost on its most frequent requests.
   */
  answerHead(head: FileRequestHead, path: string, store: AssetStore): HeadAnswer | undefined;
  /**
   * Whether `serve` would surely answer a GET or HEAD of `path` with `null`
   * (no file, no index, no SPA fallback or 404 page), as the store tells
   * without waiting (a store that remembers missing files does). False
   * when it cannot tell at once. A try_files router then passes the
   * request on without a Request.
   */
  knownMissing(head: FileRequestHead, path: string, store: AssetStore): boolean;
}

/**
 * A static file handler that does all of HTTP itself, the same way over
 * every store: `Content-Type` from the name, strong `ETag` and
 * `Last-Modified` with `If-None-Match` / `If-Modified-Since` → 304 and
 * `If-Match` / `If-Unmodified-Since` → 412, a byte range → 206 (`If-Range`
 * honoured; past the end → 416), precompressed `.br` / `.zst` / `.gz`
 * sidecars chosen by `Accept-Encoding` with `Vary`, index files, `/dir` →
 * `/dir/` redirects, an SPA fallback, a 404 page and `Cache-Control` per
 * file. GET and HEAD only: another method on a file gets 405. Bodies are
 * streamed from the store, never read whole.
 *
 * Where HTTP leaves a choice: several ranges in one request get the whole
 * file (200), not multipart; a request with a `Range` header gets the
 * identity (uncompressed) representation, and compressed answers carry no
 * `Accept-Ranges` (nginx's gzip_static ignores ranges on `.gz` files
 * altogether); an encoded variant's ETag is its sidecar's with `-br`,
 * `-zstd` or `-gzip` added, so it never matches the identity's.
 *
 * @example
 * ```ts
 * import { createStaticHandler, safePath } from '@gatehouse/edge'
 * import { folderAssets } from '@gatehouse/edge-node/assets'
 *
 * const statics = createStaticHandler({ spaFallback: '/index.html' })
 * const assets = folderAssets('./public')
 *
 * export default {
 *   async fetch(request: Request) {
 *     const path = safePath(new URL(request.url).pathname)
 *     if (path === null) return new Response('Bad Request', { status: 400 })
 *     return (await statics.serve(request, path, assets)) ?? new Response('Not Found', { status: 404 })
 *   },
 * }
 * ```
 */
export function createStaticHandler(options: StaticOptions = {}): StaticHandler {
  const index = options.index ?? ['index.html'];
  const redirectStatus = options.directoryRedirect ?? 301;
  const { spaFallback, notFound } = options;
  const encodings = options.precompressed ?? ['br', 'gzip'];
  const typeOf = contentTypes(options.types);
  const cacheOption = options.cacheControl ?? defaultCacheControl;
  const cacheControlOf = typeof cacheOption === 'string' ? () => cacheOption : cacheOption;
  for (const file of [spaFallback, notFound]) {
    if (file !== undefined && (!isStorePath(file) || file.endsWith('/'))) {
      throw new TypeError(`Not the store path of a file: ${JSON.stringify(file)}`);
    }
  }
  for (const name of index) {
    if (name.includes('/') || !isStorePath(`/${name}`) || name === '') {
      throw new TypeError(`Not an index file name: ${JSON.stringify(name)}`);
    }
  }

  // What is the same in every answer from one asset, worked out once per
  // asset object: a store that keeps its assets (folderAssets does) pays
  // for it once per file. `name` is the file the client asked for, which
  // for a sidecar is not the sidecar's own path.
  const prepared = new WeakMap<Asset, Prepared>();
  const prepare = (asset: Asset, name: string, encoding: PrecompressedEncoding | undefined): Prepared => {
    let entry = prepared.get(asset);
    if (entry === undefined || entry.name !== name || entry.encoding !== encoding) {
      const type = encoding === undefined ? (asset.contentType ?? typeOf(name)) : typeOf(name);
      const modified = asset.lastModified;
      entry = {
        name,
        encoding,
        type,
        etag: encoding === undefined ? asset.etag : variantTag(asset.etag, encoding),
        lastModified: modified?.toUTCString(),
        modifiedSeconds: modified === undefined ? undefined : seconds(modified.getTime()),
        cacheControl: cacheControlOf(name),
        compressible: encodings.length > 0 && isCompressible(type),
        // Made once: a lookup by a string built per request would hash it every time.
        sidecars: encodings.map((coding) => name + SIDECAR[coding]),
      };
      prepared.set(asset, entry);
    }
    return entry;
  };

  const respond = async (exchange: Exchange, name: string, asset: Asset, status: 200 | 404): Promise<Response> => {
    const request = exchange.request;
    const isGet = request.method === 'GET';
    const identity = prepare(asset, name, undefined);
    const rangeHeader = isGet && status === 200 ? request.headers.get('range') : null;

    // Sidecars are looked for whenever the file is compressible, even for a
    // client that takes none of them: their existence makes the answer vary.
    let chosen = asset;
    let head = identity;
    let encoding: PrecompressedEncoding | undefined;
    let vary = false;
    if (identity.compressible) {
      const lookups = identity.sidecars.map((sidecar) => exchange.store.get(sidecar));
      const sidecars = exchange.keep(lookups.some(isPromise) ? await Promise.all(lookups) : (lookups as (Asset | null)[]));
      const available = encodings.filter((_, i) => sidecars[i] !== null);
      vary = available.length > 0;
      // A range is served from the identity only: see the choices above.
      if (vary && rangeHeader === null) {
        encoding = negotiateEncoding(request.headers.get('accept-encoding'), available);
        if (encoding !== undefined) {
          chosen = sidecars[encodings.indexOf(encoding)]!;
          head = prepare(chosen, name, encoding);
        }
      }
    }

    if (status === 404) {
      // The validators would describe the 404 page, not the missing file;
      // and a 404 should not be kept as if it were final.
      const headers = representation(head, encoding, vary);
      headers.push(['cache-control', 'no-cache'], ['content-length', String(chosen.size)]);
      return new Response(isGet && chosen.size > 0 ? await exchange.body(chosen) : null, responseInit(status, headers, encoding));
    }

    const precondition = evaluatePreconditions(request.headers, head);
    if (precondition === 412) return new Response(null, { status: 412, headers: [['content-length', '0']] });
    if (precondition === 304) {
      // RFC 9110 §15.4.5: the fields a 200 would have had that caches update.
      return new Response(null, { status: 304, headers: vary ? [['vary', 'Accept-Encoding'], ...validators(head)] : validators(head) });
    }

    const size = chosen.size;
    if (rangeHeader !== null && ifRangeHolds(request.headers.get('if-range'), head)) {
      const wanted = readRange(rangeHeader, size);
      if (wanted.kind === 'unsatisfiable') {
        return new Response(null, {
          status: 416,
          headers: [['content-range', `bytes */${size}`], ['content-length', '0'], ...(vary ? VARY : [])],
        });
      }
      if (wanted.kind === 'part') {
        const { start, end } = wanted.range;
        const headers = [...representation(head, encoding, vary), ...validators(head), ['accept-ranges', 'bytes']] as [string, string][];
        headers.push(['content-range', `bytes ${start}-${end}/${size}`], ['content-length', String(end - start + 1)]);
        return new Response(await exchange.body(chosen, wanted.range), { status: 206, headers });
      }
    }
    // The whole file: the same head every time, kept with the file. A
    // Headers object is taken over without the checks an array of pairs
    // goes through again on every Response.
    const headers = vary ? (head.wholeVary ??= wholeHead(head, encoding, true, size)) : (head.whole ??= wholeHead(head, encoding, false, size));
    // HEAD gets the same head and no body; an empty file needs no body either.
    if (!isGet || size === 0) return new Response(null, { status: 200, headers });
    const body = exchange.body(chosen);
    return new Response(isPromise(body) ? await body : body, responseInit(200, headers, encoding));
  };

  /**
   * The answer to a plain GET or HEAD of a file the store holds in memory,
   * made without a Request or a Response; undefined for anything else
   * (sidecars, ranges, a failed precondition, a missing file), which `serve`
   * then answers. The fields and bytes are the ones `serve` would send.
   */
  const answerHead = (head: FileRequestHead, path: string, store: AssetStore): HeadAnswer | undefined => {
    if (!isStorePath(path) || path.endsWith('/')) return undefined;
    const asset = store.get(path);
    if (asset === null) return undefined;
    if (isPromise(asset) || asset.bytes === undefined) return giveBack(asset);
    const identity = prepare(asset, path, undefined);
    if (identity.compressible) {
      // A sidecar makes the answer vary: that is `serve`'s work.
      for (const sidecar of identity.sidecars) {
        const got = store.get(sidecar);
        if (got !== null) return giveBack(got, asset);
      }
    }
    const isGet = head.method === 'GET';
    if (isGet && head.headers.get('range') !== null) return giveBack(asset);
    const precondition = evaluatePreconditions(head.headers, identity);
    if (precondition === 412) return giveBack(asset);
    if (precondition === 304) {
      giveBack(asset);
      return { status: 304, headers: (identity.notModifiedFlat ??= validators(identity).flat()), body: null };
    }
    const headers = (identity.wholeFlat ??= wholeFields(identity, undefined, false, asset.size).flat());
    if (!isGet || asset.size === 0) {
      giveBack(asset);
      return { status: 200, headers, body: null };
    }
    return { status: 200, headers, body: asset.bytes };
  };

  /** Whether every one of `paths` is missing, as the store tells at once. */
  const allMissing = (paths: readonly string[], store: AssetStore): boolean => {
    for (const candidate of paths) {
      const got = store.get(candidate);
      if (got === null) continue;
      // Found, or not known yet: either way not missing for sure.
      giveBack(got);
      return false;
    }
    return true;
  };

  // Goes the same way as `serve` below, and gives up wherever `serve` would find something.
  const knownMissing = (head: FileRequestHead, path: string, store: AssetStore): boolean => {
    if (!isStorePath(path) || notFound !== undefined) return false;
    if (spaFallback !== undefined && acceptsHtml(head.headers.get('accept'))) return false;
    if (path.endsWith('/')) return allMissing(index.map((file) => path + file), store);
    if (!allMissing([path], store)) return false;
    return redirectStatus === false || allMissing(index.map((file) => `${path}/${file}`), store);
  };

  return {
    answerHead,
    knownMissing,
    async serve(request, path, store) {
      if (!isStorePath(path)) throw new TypeError(`Not a store path (pass it through safePath): ${JSON.stringify(path)}`);
      const readable = request.method === 'GET' || request.method === 'HEAD';
      const exchange = new Exchange(request, store);
      try {
        if (path.endsWith('/')) {
          for (const file of index) {
            const asset = exchange.keep(await store.get(path + file));
            if (asset !== null) return readable ? await respond(exchange, path + file, asset, 200) : methodNotAllowed();
          }
        } else {
          const got = store.get(path);
          const asset = exchange.keep(isPromise(got) ? await got : got);
          if (asset !== null) return readable ? await respond(exchange, path, asset, 200) : methodNotAllowed();
          if (redirectStatus !== false) {
            for (const file of index) {
              if (exchange.keep(await store.get(`${path}/${file}`)) === null) continue;
              return readable ? redirectToDirectory(request.url, redirectStatus) : methodNotAllowed();
            }
          }
        }
        if (readable && spaFallback !== undefined && acceptsHtml(request.headers.get('accept'))) {
          const fallback = exchange.keep(await store.get(spaFallback));
          if (fallback !== null) return await respond(exchange, spaFallback, fallback, 200);
        }
        if (notFound !== undefined) {
          const page = exchange.keep(await store.get(notFound));
          if (page !== null) return await respond(exchange, notFound, page, 404);
        }
        return null;
      } finally {
        exchange.discardUnsent();
      }
    },
  };
}

/** What the handler knows about one asset, besides its bytes. */
interface Prepared {
  readonly name: string;
  readonly encoding: PrecompressedEncoding | undefined;
  readonly type: string;
  readonly etag: string;
  readonly lastModified: string | undefined;
  readonly modifiedSeconds: number | undefined;
  readonly cacheControl: string | undefined;
  readonly compressible: boolean;
  /** The store paths of its precompressed sidecars, in the order of `precompressed`. */
  readonly sidecars: readonly string[];
  /** The head of a 200 with the whole file, made on first use; with `Vary` and without. */
  whole?: Headers;
  wholeVary?: Headers;
  /** The same head, flat, and the head of a 304, for answers made without a Response. */
  wholeFlat?: readonly string[];
  notModifiedFlat?: readonly string[];
}

/** One request's dealings with the store: what it got, and whose body it sent. */
class Exchange {
  readonly request: Request;
  readonly store: AssetStore;
  readonly #got: Asset[] = [];
  #sent: Asset | undefined;

  constructor(request: Request, store: AssetStore) {
    this.request = request;
    this.store = store;
  }

  /** Note what `get` returned (the lookups are awaited by the caller: no wrapper promise per lookup). */
  keep<T extends Asset | null | readonly (Asset | null)[]>(got: T): T {
    if (Array.isArray(got)) {
      for (const asset of got as readonly (Asset | null)[]) if (asset !== null) this.#got.push(asset);
    } else if (got !== null) {
      this.#got.push(got as Asset);
    }
    return got;
  }

  body(asset: Asset, range?: ByteRange): AssetBody | Promise<AssetBody> {
    this.#sent = asset;
    return range === undefined ? asset.body() : asset.body(range);
  }

  /** Let the store release every asset whose body is not sent. */
  discardUnsent(): void {
    for (const asset of this.#got) if (asset !== this.#sent) asset.discard?.();
  }
}

const VARY: [string, string][] = [['vary', 'Accept-Encoding']];

/** By `then`, not `instanceof`: a store may hand out another realm's promises. */
function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The fields that describe the representation sent: its type and coding. */
function representation(head: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean): [string, string][] {
  const headers: [string, string][] = [['content-type', head.type]];
  if (encoding !== undefined) headers.push(['content-encoding', encoding]);
  if (vary) headers.push(['vary', 'Accept-Encoding']);
  return headers;
}

/** The fields a cache revalidates with. */
function validators(head: Prepared): [string, string][] {
  const headers: [string, string][] = [['etag', head.etag]];
  if (head.lastModified !== undefined) headers.push(['last-modified', head.lastModified]);
  if (head.cacheControl !== undefined) headers.push(['cache-control', head.cacheControl]);
  return headers;
}

function wholeFields(head: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean, size: number): [string, string][] {
  const headers = [...representation(head, encoding, vary), ...validators(head)];
  // Ranges are served from the identity only.
  if (encoding === undefined) headers.push(['accept-ranges', 'bytes']);
  headers.push(['content-length', String(size)]);
  return headers;
}

function wholeHead(head: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean, size: number): Headers {
  return new Headers(wholeFields(head, encoding, vary, size));
}
const ALLOW = 'GET, HEAD';

/**
 * RFC 9110 §13.2.2, for GET and HEAD: If-Match, else If-Unmodified-Since
 * (412 when it fails); then If-None-Match, else If-Modified-Since (304
 * when the client's copy is current).
 */
function evaluatePreconditions(headers: FieldReader, head: Prepared): 200 | 304 | 412 {
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null) {
    if (!matchesEtag(ifMatch, head.etag, false)) return 412;
  } else if (head.modifiedSeconds !== undefined) {
    const ifUnmodifiedSince = headers.get('if-unmodified-since');
    if (ifUnmodifiedSince !== null) {
      const since = parseHttpDate(ifUnmodifiedSince);
      if (!Number.isNaN(since) && head.modifiedSeconds > seconds(since)) return 412;
    }
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) return matchesEtag(ifNoneMatch, head.etag, true) ? 304 : 200;
  if (head.modifiedSeconds !== undefined) {
    const ifModifiedSince = headers.get('if-modified-since');
    if (ifModifiedSince !== null) {
      const since = parseHttpDate(ifModifiedSince);
      if (!Number.isNaN(since) && head.modifiedSeconds <= seconds(since)) return 304;
    }
  }
  return 200;
}

/**
 * Whether a `Range` applies under `If-Range` (RFC 9110 §13.1.5): always
 * without one; with an entity tag, when it is strong and ours; with a
 * date, when it is exactly our Last-Modified.
 */
function ifRangeHolds(ifRange: string | null, head: Prepared): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value.startsWith('"') && matchesEtag(value, head.etag, false);
  if (head.modifiedSeconds === undefined) return false;
  const date = parseHttpDate(value);
  return !Number.isNaN(date) && seconds(date) === head.modifiedSeconds;
}

/** Whether `Accept` names `text/html` with a weight above 0. */
function acceptsHtml(accept: string | null): boolean {
  if (accept === null) return false;
  for (const part of accept.split(',')) {
    const semicolon = part.indexOf(';');
    const type = (semicolon === -1 ? part : part.slice(0, semicolon)).trim().toLowerCase();
    if (type !== 'text/html') continue;
    return semicolon === -1 || !/(?:^|;)\s*q\s*=\s*0(?:\.0*)?\s*(?:;|$)/i.test(part.slice(semicolon));
  }
  return false;
}

/** `"abc"` → `"abc-br"`: the ETag of an encoded variant. */
function variantTag(etag: string, encoding: PrecompressedEncoding): string {
  const close = etag.lastIndexOf('"');
  return close > 0 ? `${etag.slice(0, close)}-${encoding}"` : `"${etag}-${encoding}"`;
}

function methodNotAllowed(): Response {
  return new Response('Method Not Allowed\n', {
    status: 405,
    headers: [['allow', ALLOW], ['content-type', 'text/plain; charset=utf-8']],
  });
}

/**
 * To the same URL with a slash after its path, query kept. The Location is
 * the request's own (still encoded) path, made relative to the host: a
 * path starting with `//` would otherwise name another host.
 */
function redirectToDirectory(url: string, status: 301 | 308): Response {
  const { pathname, search } = new URL(url);
  const location = `/${pathname.replace(/^[/\\]+/, '')}/${search}`;
  return new Response(null, { status, headers: [['location', location], ['content-length', '0']] });
}

/**
 * A sidecar's bytes are already encoded: workerd would otherwise compress
 * them again for the `Content-Encoding` given (`encodeBody: "automatic"`,
 * its default), and clients would decode a `.br` file's bytes into more
 * `.br` bytes. Other runtimes ignore the member.
 */
function responseInit(status: number, headers: Headers | [string, string][], encoding: string | undefined): ResponseInit {
  return encoding === undefined ? { status, headers } : ({ status, headers, encodeBody: 'manual' } as ResponseInit);
}

/** Hand back assets got from the store and not sent (`Asset.discard`), now or once they come. */
function giveBack(...got: (Asset | Promise<Asset | null>)[]): undefined {
  for (const asset of got) {
    if (isPromise(asset)) asset.then((found) => found?.discard?.(), ignore);
    else asset.discard?.();
  }
  return undefined;
}

function ignore(): void {}
