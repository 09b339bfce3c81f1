import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { ANSWER_HEAD, type App, type HeadAnswer, headAnswerer, type RequestHead } from '@gatehouse/core';
import { negotiateEncoding } from '@gatehouse/edge';

/** A content coding the edge compresses with on Node. */
export type Coding = 'br' | 'zstd' | 'gzip';

export interface CompressOptions {
  /**
   * The codings offered, in the server's order of preference (it decides
   * between codings the client weighs alike). Defaults to br, zstd (where
   * this Node has it) and gzip.
   */
  readonly encodings?: readonly Coding[];
  /** The smallest body compressed, by its Content-Length; a body without one is compressed. Defaults to 1024. */
  readonly minLength?: number;
  /** Whether a Content-Type is worth compressing. Defaults to {@link compressibleType}. */
  readonly types?: (contentType: string) => boolean;
  /** gzip's level (default 6), brotli's quality (default 4) and zstd's level (default 3). */
  readonly level?: { readonly gzip?: number; readonly br?: number; readonly zstd?: number };
  /**
   * A body whose Content-Length is at most this many bytes is read whole
   * and compressed in one call, which costs far less than a compressing
   * stream; a longer one, or one without a length, streams through the
   * compressor. Defaults to 1 MiB (so at most that much is held per answer).
   */
  readonly wholeUpTo?: number;
}

const HAS_ZSTD = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';

/**
 * Text and structured text: `text/*` (not `text/event-stream`, whose
 * events must not wait for a compressor's buffer), JavaScript, JSON, XML,
 * SVG, WebAssembly, and any `+json` or `+xml` type.
 */
export function compressibleType(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type.startsWith('text/')) return type !== 'text/event-stream';
  return (
    /^application\/(javascript|x-javascript|ecmascript|json|ld\+json|manifest\+json|xml|xhtml\+xml|rss\+xml|atom\+xml|wasm|graphql-response\+json)$/.test(type) ||
    /^image\/svg\+xml$/.test(type) ||
    /\+(json|xml)$/.test(type)
  );
}

/**
 * An App whose answers go out compressed when the client accepts it
 * (gzip, brotli, zstd, chosen by `Accept-Encoding` and its q-values, as
 * the edge's static files choose their sidecars), like nginx's `gzip on`:
 * compressible types only, from `minLength` up; never an answer already
 * encoded (a `.br` sidecar goes as it is), a range (206), a HEAD's body,
 * 204 or 304, or one marked `Cache-Control: no-transform`. A compressed
 * answer loses its Content-Length, its ETag becomes weak, and every
 * compressible answer says `Vary: Accept-Encoding`. Answers from the
 * request head (the edge's files in memory, its proxied GETs) are
 * compressed too. For Node only: on Workers, Cloudflare compresses.
 *
 * @example
 * ```ts
 * import { serve } from '@gatehouse/node'
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { compress } from '@gatehouse/edge-node/compress'
 *
 * await serve(compress(defineEdge({ routes: { '/': { respond: 'hello' } } })), { port: 8080 })
 * ```
 */
export function compress<A extends App<never>>(app: A, options: CompressOptions = {}): A {
  const encodings = (options.encodings ?? ['br', 'zstd', 'gzip']).filter((coding) => coding !== 'zstd' || HAS_ZSTD);
  for (const coding of encodings) if (!['br', 'zstd', 'gzip'].includes(coding)) throw new TypeError(`compress: ${JSON.stringify(coding)} is not br, zstd or gzip`);
  const minLength = options.minLength ?? 1024;
  const types = options.types ?? compressibleType;
  const levels = { gzip: options.level?.gzip ?? 6, br: options.level?.br ?? 4, zstd: options.level?.zstd ?? 3 };
  const wholeUpTo = options.wholeUpTo ?? 1024 * 1024;
  const readsWhole = (length: string | null): boolean => length !== null && Number(length) <= wholeUpTo;

  /** The coding for an answer, `null` when it is compressible but the client takes none, `undefined` when it is not for compressing. */
  const choose = (acceptEncoding: string | null, status: number, field: (name: string) => string | null): Coding | null | undefined => {
    if (status < 200 || status === 204 || status === 206 || status === 304) return undefined;
    const type = field('content-type');
    if (type === null || !types(type)) return undefined;
    if (field('content-encoding') !== null) return undefined;
    if (/(^|,)\s*no-transform\s*(,|$)/i.test(field('cache-control') ?? '')) return undefined;
    const length = field('content-length');
    if (length !== null && Number(length) < minLength) return undefined;
    return negotiateEncoding(acceptEncoding, encodings) ?? null;
  };

  const fetch = async (request: Request, env: never, ctx: Parameters<A['fetch']>[2]): Promise<Response> => {
    const response = await app.fetch(request, env, ctx);
    const coding = choose(request.headers.get('accept-encoding'), response.status, (name) => response.headers.get(name));
    if (coding === undefined) return response;
    const vary = varyWithAcceptEncoding(response.headers.get('vary'));
    if (coding === null) return withVary(response, vary);
    const headers = new Headers(response.headers);
    headers.set('vary', vary);
    const length = headers.get('content-length');
    headers.delete('content-length');
    headers.set('content-encoding', coding);
    weakenETag(headers);
    const init = { status: response.status, statusText: response.statusText, headers };
    if (request.method === 'HEAD' || response.body === null) {
      void response.body?.cancel().catch(() => {});
      return new Response(null, init);
    }
    if (readsWhole(length)) return new Response(compressNow(coding, new Uint8Array(await response.arrayBuffer()), levels), init);
    return new Response(response.body.pipeThrough(compressor(coding, levels)), init);
  };

  const wrapped = { ...app, fetch: fetch as App<never>['fetch'] } as App<never> & Record<PropertyKey, unknown>;
  const answerHead = headAnswerer<never>(app);
  if (answerHead !== undefined) {
    wrapped[ANSWER_HEAD] = (head: RequestHead, env: never, ctx: Parameters<A['fetch']>[2]): HeadAnswer | Promise<HeadAnswer> | undefined => {
      const answer = answerHead(head, env, ctx);
      if (answer === undefined) return undefined;
      const accept = head.headers.get('accept-encoding');
      const compressAnswer = (made: HeadAnswer): HeadAnswer | Promise<HeadAnswer> => compressHeadAnswer(made, head.method, accept);
      return answer instanceof Promise ? answer.then(compressAnswer) : compressAnswer(answer);
    };
  }

  function compressHeadAnswer(answer: HeadAnswer, method: string, accept: string | null): HeadAnswer | Promise<HeadAnswer> {
    const fields = answer.headers;
    const field = (name: string): string | null => {
      for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
      return null;
    };
    const coding = choose(accept, answer.status, field);
    if (coding === undefined) return answer;
    const headers: string[] = [];
    let vary: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      const value = fields[i + 1]!;
      if (name === 'vary') vary = vary === undefined ? value : `${vary}, ${value}`;
      else if (coding !== null && name === 'content-length') continue;
      else if (coding !== null && name === 'etag') headers.push(name, value.startsWith('W/') ? value : `W/${value}`);
      else headers.push(name, value);
    }
    headers.push('vary', varyWithAcceptEncoding(vary ?? null));
    if (coding === null) return { ...answer, headers };
    headers.push('content-encoding', coding);
    const body = answer.body;
    if (method === 'HEAD' || body === null) {
      if (body instanceof ReadableStream) void body.cancel().catch(() => {});
      return { ...answer, headers, body: null };
    }
    // A whole body is compressed at once, as nginx does in its worker; a short streamed one is read first; a long one as it comes.
    if (body instanceof Uint8Array) return { ...answer, headers, body: compressNow(coding, body, levels) };
    if (readsWhole(field('content-length'))) return readAll(body).then((whole) => ({ ...answer, headers, body: compressNow(coding, whole, levels) }));
    return { ...answer, headers, body: body.pipeThrough(compressor(coding, levels)) };
  }

  return wrapped as unknown as A;
}

type Levels = { readonly gzip: number; readonly br: number; readonly zstd: number };

function compressor(coding: Coding, levels: Levels): ReadableWritablePair<Uint8Array, Uint8Array> {
  const stream =
    coding === 'gzip'
      ? zlib.createGzip({ level: levels.gzip })
      : coding === 'br'
        ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.br } })
        : (zlib as unknown as { createZstdCompress(options: object): Duplex }).createZstdCompress({
            params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel!]: levels.zstd },
          });
  return Duplex.toWeb(stream) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
}

function compressNow(coding: Coding, body: Uint8Array, levels: Levels): Uint8Array {
  if (coding === 'gzip') return zlib.gzipSync(body, { level: levels.gzip });
  if (coding === 'br') return zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.br } });
  return (zlib as unknown as { zstdCompressSync(body: Uint8Array, options: object): Uint8Array }).zstdCompressSync(body, {
    params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel!]: levels.zstd },
  });
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function varyWithAcceptEncoding(vary: string | null): string {
  if (vary === null || vary.trim() === '') return 'Accept-Encoding';
  return vary.split(',').some((name) => name.trim().toLowerCase() === 'accept-encoding' || name.trim() === '*') ? vary : `${vary}, Accept-Encoding`;
}


function weakenETag(headers: Headers): void {
  const etag = headers.get('etag');
  if (etag !== null && !etag.startsWith('W/')) headers.set('etag', `W/${etag}`);
}

/** The answer with its Vary set, copied once if its fields are immutable. */
function withVary(response: Response, vary: string): Response {
  try {
    response.headers.set('vary', vary);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set('vary', vary);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
