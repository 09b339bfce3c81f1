import type { Asset, AssetBody, AssetStore, ByteRange } from './asset-store.ts';
import { negotiateEncoding } from './_accept-encoding.ts';
import { defaultCacheControl } from './cache-control.ts';
import { evaluatePreconditions, ifRangeHolds, seconds } from './_conditional.ts';
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

/**
 * What answers one request for a store path, as {@link StaticHandler.plan}
 * decided it. A plan holds what it got from the store until it is answered:
 * answer it once, with `respond` or `answer` of the handler that made it.
 */
export interface FilePlan {
  /**
   * What answers: the file the path names, an index file of a path ending
   * in `/`, a redirect from `/dir` to `/dir/`, the SPA fallback, the 404
   * page, or 405 for a method other than GET and HEAD on a file.
   */
  readonly kind: 'file' | 'index' | 'directoryRedirect' | 'spaFallback' | 'notFound' | 'methodNotAllowed';
  /** The store path of the file sent (a precompressed sidecar may stand in for it); undefined for a redirect or a 405. */
  readonly file: string | undefined;
}

/** Serves files from an {@link AssetStore}; see {@link createStaticHandler}. */
export interface StaticHandler {
  /**
   * Decide what answers a request for the file at `path` (a store path,
   * as `safePath` returns it), or `null` when there is no such file and
   * neither an SPA fallback nor a 404 page applies: the caller then passes
   * the request on (try_files) or answers 404 itself. The plan comes at
   * once when the store answers every lookup at once, else in a promise.
   * Throws a TypeError for a path that is not a store path.
   */
  plan(head: FileRequestHead, path: string, store: AssetStore): FilePlan | null | Promise<FilePlan | null>;
  /**
   * The same decision for a caller that must answer now or not at all:
   * `undefined` as soon as a lookup would wait (what it got is given back,
   * the pending asset when it comes). So `null` here means "surely
   * nothing", as a store that remembers missing files tells.
   */
  planAtOnce(head: FileRequestHead, path: string, store: AssetStore): FilePlan | null | undefined;
  /**
   * The answer to `request` (the one the plan was made for), with all of
   * HTTP: preconditions, ranges, precompressed sidecars. Assets of the plan
   * whose body it does not send are given back.
   */
  respond(plan: FilePlan, request: Request): Promise<Response>;
  /**
   * The same answer, made without a Request or a Response, for a plain GET
   * or HEAD of the file the path names, held in memory (`Asset.bytes`):
   * whole, or 304. `undefined` for anything else (ranges, sidecars, a
   * failed precondition, any other kind of plan): then the plan's assets
   * are given back, and `respond` to a fresh plan makes the answer. A
   * server that can write such an answer itself saves the objects' cost
   * on its most frequent requests.
   */
  answer(plan: FilePlan, head: FileRequestHead): HeadAnswer | undefined;
  /** `plan` and `respond` in one: the answer to `request`, or `null` where nothing answers (see {@link StaticHandler.plan}). */
  serve(request: Request, path: string, store: AssetStore): Promise<Response | null>;
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
 * One decision, {@link StaticHandler.plan}, says which file answers; the
 * Response (`respond`) and the answer made without one (`answer`) are both
 * made from it. `serve` does both steps.
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

  // The files tried, in order (nginx's try_files $uri $uri/ with index,
  // then the fallbacks): made once, so a request builds no list.
  const toDirectory = redirectStatus === false ? undefined : new PlannedStatus('directoryRedirect', redirectStatus);
  const fallbacks: Step[] = [];
  if (spaFallback !== undefined) fallbacks.push({ kind: 'spaFallback', path: () => spaFallback });
  if (notFound !== undefined) fallbacks.push({ kind: 'notFound', path: () => notFound });
  const directorySteps: readonly Step[] = [...index.map((name): Step => ({ kind: 'index', path: (dir) => dir + name })), ...fallbacks];
  const fileSteps: readonly Step[] = [
    { kind: 'file', path: (file) => file },
    ...(toDirectory === undefined ? [] : index.map((name): Step => ({ kind: 'directoryRedirect', path: (dir) => `${dir}/${name}` }))),
    ...fallbacks,
  ];

  /**
   * The one decision: the first step whose file the store has. Each lookup
   * the store answers at once is taken at once, so a store that has
   * everything at hand gets a plan without a promise; at the first that
   * would wait, a caller that `waits` goes on when it comes, and one that
   * does not gets `undefined`.
   */
  function decide(head: FileRequestHead, path: string, store: AssetStore, waits: true): FilePlan | null | Promise<FilePlan | null>;
  function decide(head: FileRequestHead, path: string, store: AssetStore, waits: false): FilePlan | null | undefined;
  function decide(head: FileRequestHead, path: string, store: AssetStore, waits: boolean): Decided {
    if (!isStorePath(path)) throw new TypeError(`Not a store path (pass it through safePath): ${JSON.stringify(path)}`);
    const lookups = new AssetLookups();
    const readable = head.method === 'GET' || head.method === 'HEAD';
    const decided = walk({ head, readable, path, store, waits, lookups }, path.endsWith('/') ? directorySteps : fileSteps, 0);
    if (!isPromise(decided)) return decided;
    return decided.then(undefined, (error: unknown) => {
      lookups.giveBackUnsent();
      throw error;
    });
  }

  const walk = (planning: Planning, steps: readonly Step[], from: number): Decided => {
    const { head, readable, path, store, waits, lookups } = planning;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.kind === 'spaFallback' && !(readable && acceptsHtml(head.headers.get('accept')))) continue;
      const file = step.path(path);
      const got = store.get(file);
      if (isPromise(got)) {
        if (!waits) return lookups.abandon(got);
        return got.then((asset) => (asset === null ? walk(planning, steps, i + 1) : found(planning, step.kind, file, lookups.keep(asset))));
      }
      if (got !== null) return found(planning, step.kind, file, lookups.keep(got));
    }
    return null;
  };

  const found = (planning: Planning, kind: Step['kind'], file: string, asset: Asset): Decided => {
    const { readable, store, waits, lookups } = planning;
    // The 404 page answers any method, as nginx's error_page does.
    if (kind !== 'notFound' && (!readable || kind === 'directoryRedirect')) {
      lookups.giveBackUnsent();
      // directoryRedirect steps are only made with toDirectory.
      return readable ? toDirectory! : METHOD_NOT_ALLOWED;
    }
    const identity = prepare(asset, file, undefined);
    if (!identity.compressible) return new PlannedFile(kind, file, asset, identity, NO_SIDECARS, lookups);
    // Sidecars are looked for whenever the file is compressible, even for a
    // client that takes none of them: their existence makes the answer vary.
    const got = identity.sidecars.map((sidecar) => store.get(sidecar));
    if (!got.some(isPromise)) return new PlannedFile(kind, file, asset, identity, sidecarsOf(got as (Asset | null)[], lookups), lookups);
    if (!waits) return lookups.abandon(...got);
    return Promise.all(got).then(
      (sidecars) => new PlannedFile(kind, file, asset, identity, sidecarsOf(sidecars, lookups), lookups),
      (error: unknown) => {
        // The lookups that did come are not in `lookups` yet.
        lookups.abandon(...got);
        throw error;
      },
    );
  };

  /** The sidecars the store has, kept, in the order of `precompressed`. */
  const sidecarsOf = (got: readonly (Asset | null)[], lookups: AssetLookups): readonly Sidecar[] => {
    let sidecars: Sidecar[] | undefined;
    for (let i = 0; i < got.length; i++) {
      const asset = got[i]!;
      if (asset !== null) (sidecars ??= []).push({ encoding: encodings[i]!, asset: lookups.keep(asset) });
    }
    return sidecars ?? NO_SIDECARS;
  };

  const respondWithFile = async (plan: PlannedFile, request: Request): Promise<Response> => {
    const { lookups, identity } = plan;
    try {
      const isGet = request.method === 'GET';
      const status = plan.kind === 'notFound' ? 404 : 200;
      const rangeHeader = isGet && status === 200 ? request.headers.get('range') : null;
      let chosen = plan.asset;
      let fields = identity;
      let encoding: PrecompressedEncoding | undefined;
      const vary = plan.sidecars.length > 0;
      // A range is served from the identity only: see the choices above.
      if (vary && rangeHeader === null) {
        encoding = negotiateEncoding(
          request.headers.get('accept-encoding'),
          plan.sidecars.map((sidecar) => sidecar.encoding),
        );
        const sidecar = plan.sidecars.find((candidate) => candidate.encoding === encoding);
        if (sidecar !== undefined) {
          chosen = sidecar.asset;
          fields = prepare(chosen, plan.file, sidecar.encoding);
        }
      }

      if (status === 404) {
        // The validators would describe the 404 page, not the missing file;
        // and a 404 should not be kept as if it were final.
        const headers = representation(fields, encoding, vary);
        headers.push(['cache-control', 'no-cache'], ['content-length', String(chosen.size)]);
        return new Response(isGet && chosen.size > 0 ? await lookups.body(chosen) : null, responseInit(status, headers, encoding));
      }

      const precondition = evaluatePreconditions(request.headers, fields);
      if (precondition === 412) return new Response(null, { status: 412, headers: [['content-length', '0']] });
      if (precondition === 304) {
        // RFC 9110 §15.4.5: the fields a 200 would have had that caches update.
        return new Response(null, { status: 304, headers: vary ? [['vary', 'Accept-Encoding'], ...validators(fields)] : validators(fields) });
      }

      const size = chosen.size;
      if (rangeHeader !== null && ifRangeHolds(request.headers.get('if-range'), fields)) {
        const wanted = readRange(rangeHeader, size);
        if (wanted.kind === 'unsatisfiable') {
          return new Response(null, {
            status: 416,
            headers: [['content-range', `bytes */${size}`], ['content-length', '0'], ...(vary ? VARY : [])],
          });
        }
        if (wanted.kind === 'part') {
          const { start, end } = wanted.range;
          const headers = [...representation(fields, encoding, vary), ...validators(fields), ['accept-ranges', 'bytes']] as [string, string][];
          headers.push(['content-range', `bytes ${start}-${end}/${size}`], ['content-length', String(end - start + 1)]);
          return new Response(await lookups.body(chosen, wanted.range), { status: 206, headers });
        }
      }
      // The whole file: the same fields every time, kept with the file. A
      // Headers object is taken over without the checks an array of pairs
      // goes through again on every Response.
      const headers = vary
        ? (fields.wholeVary ??= wholeHeaders(fields, encoding, true, size))
        : (fields.whole ??= wholeHeaders(fields, encoding, false, size));
      // A HEAD request gets the same fields and no body; an empty file needs no body either.
      if (!isGet || size === 0) return new Response(null, { status: 200, headers });
      const body = lookups.body(chosen);
      return new Response(isPromise(body) ? await body : body, responseInit(200, headers, encoding));
    } finally {
      lookups.giveBackUnsent();
    }
  };

  const respond = (plan: FilePlan, request: Request): Promise<Response> => {
    if (plan instanceof PlannedFile) return respondWithFile(plan, request);
    if (plan instanceof PlannedStatus) {
      return Promise.resolve(plan.status === 405 ? methodNotAllowed() : redirectToDirectory(request.url, plan.status));
    }
    return Promise.reject(new TypeError('Not a plan made by StaticHandler.plan'));
  };

  const answer = (plan: FilePlan, head: FileRequestHead): HeadAnswer | undefined => {
    if (plan instanceof PlannedStatus) return undefined;
    if (!(plan instanceof PlannedFile)) throw new TypeError('Not a plan made by StaticHandler.plan');
    const { asset, identity, lookups } = plan;
    const { bytes } = asset;
    const isGet = head.method === 'GET';
    // Kept to the cases servers' tests compare with the Request path: the
    // named file in memory, whole or 304. The rest needs what only `respond`
    // does (negotiating a sidecar, slicing a range), or is left to it for
    // now (an index file, the SPA fallback, the 404 page, a 412).
    if (plan.kind !== 'file' || bytes === undefined || plan.sidecars.length > 0 || (isGet && head.headers.get('range') !== null)) {
      lookups.giveBackUnsent();
      return undefined;
    }
    const precondition = evaluatePreconditions(head.headers, identity);
    let made: HeadAnswer | undefined;
    if (precondition === 304) {
      made = { status: 304, headers: (identity.notModifiedFlat ??= validators(identity).flat()), body: null };
    } else if (precondition === 200) {
      const headers = (identity.wholeFlat ??= wholeFields(identity, undefined, false, asset.size).flat());
      // A HEAD request, or an empty file, sends no bytes.
      const sendsBytes = isGet && asset.size > 0;
      if (sendsBytes) lookups.send(asset);
      made = { status: 200, headers, body: sendsBytes ? bytes : null };
    }
    lookups.giveBackUnsent();
    return made;
  };

  return {
    plan: (head, path, store) => decide(head, path, store, true),
    planAtOnce: (head, path, store) => decide(head, path, store, false),
    respond,
    answer,
    async serve(request, path, store) {
      const planned = decide(request, path, store, true);
      const plan = isPromise(planned) ? await planned : planned;
      return plan === null ? null : respond(plan, request);
    },
  };
}

/** A plan, or `undefined` where a lookup would wait and the caller would not (never in the promise: a caller that waits gets none). */
type Decided = FilePlan | null | undefined | Promise<FilePlan | null | undefined>;

/** One request's walk through the steps. */
interface Planning {
  readonly head: FileRequestHead;
  /** A GET or a HEAD: the methods a file answers. */
  readonly readable: boolean;
  readonly path: string;
  readonly store: AssetStore;
  readonly waits: boolean;
  readonly lookups: AssetLookups;
}

/** A file to try, and what it answers when the store has it. */
interface Step {
  readonly kind: 'file' | 'index' | 'directoryRedirect' | 'spaFallback' | 'notFound';
  /** Its store path, given the request's. */
  readonly path: (requested: string) => string;
}

interface Sidecar {
  readonly encoding: PrecompressedEncoding;
  readonly asset: Asset;
}

const NO_SIDECARS: readonly Sidecar[] = Object.freeze([]);

/** A plan that sends a file (or one of its sidecars). */
class PlannedFile implements FilePlan {
  readonly kind: 'file' | 'index' | 'spaFallback' | 'notFound';
  readonly file: string;
  readonly asset: Asset;
  /** What the handler knows of `asset` as the identity representation of `file`. */
  readonly identity: Prepared;
  /** Its precompressed sidecars the store has, in the order of `precompressed`. */
  readonly sidecars: readonly Sidecar[];
  /** Every asset above: each is sent or given back. */
  readonly lookups: AssetLookups;

  constructor(
    kind: PlannedFile['kind'],
    file: string,
    asset: Asset,
    identity: Prepared,
    sidecars: readonly Sidecar[],
    lookups: AssetLookups,
  ) {
    this.kind = kind;
    this.file = file;
    this.asset = asset;
    this.identity = identity;
    this.sidecars = sidecars;
    this.lookups = lookups;
  }
}

/** A plan that sends no file, the same for every request: it holds nothing. */
class PlannedStatus implements FilePlan {
  readonly kind: 'directoryRedirect' | 'methodNotAllowed';
  readonly file = undefined;
  readonly status: 301 | 308 | 405;

  constructor(kind: PlannedStatus['kind'], status: PlannedStatus['status']) {
    this.kind = kind;
    this.status = status;
  }
}

const METHOD_NOT_ALLOWED = new PlannedStatus('methodNotAllowed', 405);

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
  /** The fields of a 200 with the whole file, made on first use; with `Vary` and without. */
  whole?: Headers;
  wholeVary?: Headers;
  /** The same fields, flat, and the fields of a 304, for answers made without a Response. */
  wholeFlat?: readonly string[];
  notModifiedFlat?: readonly string[];
}

/**
 * The assets one request got from the store: the store may have opened
 * something for each, so each is either sent (its body asked for, or its
 * bytes taken) or given back (`Asset.discard`), never neither.
 */
class AssetLookups {
  #got: Asset[] = [];
  #sent: Asset | undefined;

  /** Note what `get` brought (the lookups are awaited by the caller: no wrapper promise per lookup). */
  keep(asset: Asset): Asset {
    this.#got.push(asset);
    return asset;
  }

  /** Note that `asset`'s bytes are sent without `body()`. */
  send(asset: Asset): Asset {
    this.#sent = asset;
    return asset;
  }

  body(asset: Asset, range?: ByteRange): AssetBody | Promise<AssetBody> {
    this.#sent = asset;
    return range === undefined ? asset.body() : asset.body(range);
  }

  /** Let the store release every asset whose body is not sent; each only once. */
  giveBackUnsent(): void {
    const got = this.#got;
    this.#got = [];
    for (const asset of got) if (asset !== this.#sent) asset.discard?.();
  }

  /** Stop looking: give back what was got, and what `pending` brings when it comes. */
  abandon(...pending: (Asset | null | Promise<Asset | null>)[]): undefined {
    this.giveBackUnsent();
    for (const got of pending) {
      if (isPromise(got)) got.then((asset) => asset?.discard?.(), ignore);
      // Brought at once but not kept yet (a sidecar beside one that waits).
      else got?.discard?.();
    }
    return undefined;
  }
}

const VARY: [string, string][] = [['vary', 'Accept-Encoding']];

/** By `then`, not `instanceof`: a store may hand out another realm's promises. */
function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The fields that describe the representation sent: its type and coding. */
function representation(prepared: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean): [string, string][] {
  const headers: [string, string][] = [['content-type', prepared.type]];
  if (encoding !== undefined) headers.push(['content-encoding', encoding]);
  if (vary) headers.push(['vary', 'Accept-Encoding']);
  return headers;
}

/** The fields a cache revalidates with. */
function validators(prepared: Prepared): [string, string][] {
  const headers: [string, string][] = [['etag', prepared.etag]];
  if (prepared.lastModified !== undefined) headers.push(['last-modified', prepared.lastModified]);
  if (prepared.cacheControl !== undefined) headers.push(['cache-control', prepared.cacheControl]);
  return headers;
}

function wholeFields(prepared: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean, size: number): [string, string][] {
  const headers = [...representation(prepared, encoding, vary), ...validators(prepared)];
  // Ranges are served from the identity only.
  if (encoding === undefined) headers.push(['accept-ranges', 'bytes']);
  headers.push(['content-length', String(size)]);
  return headers;
}

function wholeHeaders(prepared: Prepared, encoding: PrecompressedEncoding | undefined, vary: boolean, size: number): Headers {
  return new Headers(wholeFields(prepared, encoding, vary, size));
}
const ALLOW = 'GET, HEAD';

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

function ignore(): void {}
