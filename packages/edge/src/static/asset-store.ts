/**
 * Where static files come from: the Workers assets binding, a folder on
 * Node, or anything else that can answer these two questions. The edge
 * does the HTTP part (validators, ranges, encodings, caching headers)
 * itself, so that every store behaves alike.
 *
 * @example
 * ```ts
 * import type { AssetStore } from '@gatehouse/edge'
 *
 * const bytes = new TextEncoder().encode('hello')
 * const store: AssetStore = {
 *   async get(path) {
 *     if (path !== '/hello.txt') return null
 *     return {
 *       size: bytes.byteLength,
 *       etag: '"hello-1"',
 *       lastModified: undefined,
 *       contentType: undefined,
 *       body: (range) => (range ? bytes.subarray(range.start, range.end + 1) : bytes),
 *     }
 *   },
 * }
 * ```
 */
export interface AssetStore {
  /**
   * The file at `path`, or `null` if there is none (a folder is none).
   * `path` is already decoded and normalised by the edge (`safePath`):
   * it starts with `/`, has no `.` or `..` segments, no backslash, no NUL
   * and no `//`. A store should still refuse anything else.
   *
   * A store that has the answer at hand (a cache hit) may return it
   * directly rather than in a Promise: the edge then serves the request
   * without waiting a turn for each lookup.
   */
  get(path: string): Asset | null | Promise<Asset | null>;
}

/** Bytes `start` to `end` of a file, both inclusive, as in `Content-Range`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * An asset's bytes: a stream, or the bytes themselves when the store holds
 * them in memory (cheaper to send than a stream).
 */
export type AssetBody = ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;

/** One file of an {@link AssetStore}. */
export interface Asset {
  /** Its size in bytes. */
  readonly size: number;
  /** A strong validator, quoted as in an `ETag` header: `"…"`. */
  readonly etag: string;
  /** When it last changed, if the store knows. */
  readonly lastModified: Date | undefined;
  /** Its media type, if the store knows better than the file name does. */
  readonly contentType: string | undefined;
  /**
   * All its bytes, when the store holds them in memory: the edge may then
   * answer without calling {@link Asset.body}. Optional.
   */
  readonly bytes?: Uint8Array;
  /**
   * Its bytes: all of them, or those of `range`. The edge calls this at
   * most once per asset `get` returned, and only when it sends a body.
   */
  body(range?: ByteRange): AssetBody | Promise<AssetBody>;
  /**
   * Called instead of {@link Asset.body} when the edge sends no body from
   * this asset (a 304, a HEAD, a precompressed variant it did not choose),
   * so a store that opened something in `get` can let it go. Optional.
   */
  discard?(): void;
}
