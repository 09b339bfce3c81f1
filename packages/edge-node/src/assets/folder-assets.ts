import { createHash } from 'node:crypto';
import { realpathSync, statSync, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Asset, AssetStore, ByteRange } from '@gatehouse/edge';
import { wholeBodyStream } from '@gatehouse/node';

/** Options of {@link folderAssets}. */
export interface FolderAssetsOptions {
  /**
   * Milliseconds a file's cached state is trusted before a `stat` checks
   * it again, so edits show within this long (nginx's
   * `open_file_cache_valid`). Defaults to 1000; 0 checks on every request;
   * `Infinity` never does (for folders that never change while served).
   */
  revalidate?: number;
  /**
   * Files up to this many bytes are kept in memory, read once and served
   * without touching the disk; larger ones are streamed from it. Defaults
   * to 256 KiB.
   */
  maxFileSize?: number;
  /** The bytes kept in memory for all files together. Defaults to 64 MiB. */
  cacheSize?: number;
  /**
   * Serve files and folders whose name starts with a dot (`.env`,
   * `.git/`). Defaults to `false`; `/.well-known/` is served either way.
   */
  dotfiles?: boolean;
}

/** One file of a {@link FolderAssets} store. */
export interface FileAsset extends Asset {
  /** A content hash for a file kept in memory; modification time and size for a larger one. */
  readonly etag: string;
  readonly lastModified: Date;
  /** Always undefined: the edge takes the media type from the name. */
  readonly contentType: undefined;
  /** All its bytes, for a file kept in memory. */
  readonly bytes: Uint8Array | undefined;
  body(range?: ByteRange): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;
}

/** What {@link folderAssets} returns: an `AssetStore` of a folder. */
export interface FolderAssets extends AssetStore {
  /** The folder served, as an absolute path with symbolic links resolved. */
  readonly root: string;
  /**
   * The file at a store path (`/css/site.css`), or null: at once when the
   * cached answer is still trusted, else once the disk was asked.
   */
  get(path: string): FileAsset | null | Promise<FileAsset | null>;
}

const MAX_FILES = 20_000;
const MAX_MISSING = 20_000;
const CHUNK = 64 * 1024;

/**
 * An asset store over a folder, for the edge's static handler on Node:
 * the `root` of an nginx `location`.
 *
 * Built for speed: a file of up to `maxFileSize` bytes is read once and
 * kept in memory with its ETag (a content hash), size and modification
 * time, so serving it costs no system call; larger files are streamed
 * from the disk in 64 KiB reads, with backpressure, only the range asked
 * for. What the store found, missing files included, is trusted for
 * `revalidate` milliseconds, then checked with one `stat` (inode, size,
 * times) and read again only if the file changed.
 *
 * Nothing outside `root` is ever served: paths with `.` or `..`
 * segments, backslashes, NUL or empty segments are refused before the
 * file system sees them, and symbolic links are followed only when the
 * file they lead to is inside `root` (checked with `realpath`); a link
 * that leads out is a missing file. Dot files are refused unless
 * `dotfiles` is set. Throws at once if `root` is not a folder.
 *
 * @example
 * ```ts
 * import { createStaticHandler, safePath } from '@gatehouse/edge'
 * import { serve } from '@gatehouse/node'
 * import { folderAssets } from '@gatehouse/edge-node/assets'
 *
 * const assets = folderAssets('./public')
 * const statics = createStaticHandler()
 *
 * await serve({
 *   async fetch(request) {
 *     const path = safePath(new URL(request.url).pathname)
 *     if (path === null) return new Response('Bad Request', { status: 400 })
 *     return (await statics.serve(request, path, assets)) ?? new Response('Not Found', { status: 404 })
 *   },
 * })
 * ```
 */
export function folderAssets(root: string, options: FolderAssetsOptions = {}): FolderAssets {
  const rootReal = realpathSync(resolve(root));
  if (!statSync(rootReal).isDirectory()) throw new Error(`Not a folder: ${root}`);
  const inside = rootReal.endsWith(sep) ? rootReal : rootReal + sep;
  const revalidate = options.revalidate ?? 1000;
  const cacheSize = options.cacheSize ?? 64 * 1024 * 1024;
  const maxFileSize = Math.min(options.maxFileSize ?? 256 * 1024, cacheSize);
  const dotfiles = options.dotfiles ?? false;

  // Found files and missing ones apart, so that requests for made-up paths
  // never push real files out of the cache.
  const files = new Map<string, Entry>();
  const missing = new Map<string, Entry>();
  const loading = new Map<string, Promise<FileAsset | null>>();
  let cachedBytes = 0;

  const remember = (path: string, entry: Entry): void => {
    forget(path);
    if (entry.asset === null) {
      if (missing.size >= MAX_MISSING) missing.delete(missing.keys().next().value!);
      missing.set(path, entry);
      return;
    }
    files.set(path, entry);
    cachedBytes += entry.bytes;
    // Oldest first; the entry just added goes last, if at all.
    for (const [oldest, old] of files) {
      if (cachedBytes <= cacheSize && files.size <= MAX_FILES) break;
      files.delete(oldest);
      cachedBytes -= old.bytes;
    }
  };
  const forget = (path: string): void => {
    const old = files.get(path);
    if (old !== undefined) {
      files.delete(path);
      cachedBytes -= old.bytes;
    }
    missing.delete(path);
  };

  const load = async (path: string): Promise<FileAsset | null> => {
    const file = join(rootReal, ...path.slice(1).split('/'));
    const checkedAt = performance.now();
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      remember(path, missingEntry(signatureOf(info), checkedAt));
      return null;
    }
    const real = await realpath(file).catch(() => undefined);
    if (real === undefined || !real.startsWith(inside)) {
      // A link out of the root: missing, until the link changes.
      remember(path, missingEntry(signatureOf(info), checkedAt));
      return null;
    }
    const handle = await open(real, 'r').catch(() => undefined);
    if (handle === undefined) {
      remember(path, missingEntry(signatureOf(info), checkedAt));
      return null;
    }
    let entry: Entry;
    try {
      // The opened file's own state: what is served is what was described.
      const opened = await handle.stat();
      if (opened.size <= maxFileSize) {
        const content = await handle.readFile();
        const bytes = new Uint8Array(content.buffer, content.byteOffset, content.byteLength) as Uint8Array<ArrayBuffer>;
        const etag = `"${createHash('sha1').update(bytes).digest('base64url')}"`;
        const asset = new MemoryFileAsset(bytes, etag, opened.mtime);
        entry = { asset, signature: signatureOf(opened), checkedAt, pending: undefined, bytes: bytes.byteLength };
      } else {
        const etag = `"${Math.floor(opened.mtimeMs).toString(16)}-${opened.size.toString(16)}"`;
        const asset = new DiskFileAsset(real, signatureOf(opened), opened.size, etag, opened.mtime);
        entry = { asset, signature: signatureOf(opened), checkedAt, pending: undefined, bytes: 0 };
      }
    } finally {
      await handle.close();
    }
    remember(path, entry);
    return entry.asset;
  };

  const refresh = async (path: string, entry: Entry): Promise<FileAsset | null> => {
    const file = join(rootReal, ...path.slice(1).split('/'));
    const info = await stat(file).catch(() => undefined);
    if (signatureOf(info) === entry.signature) {
      entry.checkedAt = performance.now();
      entry.pending = undefined;
      return entry.asset;
    }
    forget(path);
    return load(path);
  };

  return {
    root: rootReal,
    get(path) {
      const entry = files.get(path) ?? missing.get(path);
      if (entry !== undefined) {
        if (performance.now() - entry.checkedAt < revalidate) return entry.asset;
        return (entry.pending ??= refresh(path, entry));
      }
      let pending = loading.get(path);
      if (pending !== undefined) return pending;
      if (!acceptable(path, dotfiles)) return null;
      pending = load(path).finally(() => loading.delete(path));
      loading.set(path, pending);
      return pending;
    },
  };
}

interface Entry {
  readonly asset: FileAsset | null;
  /** What `stat` said of the path: a change means the entry is stale. */
  readonly signature: string;
  checkedAt: number;
  pending: Promise<FileAsset | null> | undefined;
  /** The bytes this entry keeps in memory. */
  readonly bytes: number;
}

function missingEntry(signature: string, checkedAt: number): Entry {
  return { asset: null, signature, checkedAt, pending: undefined, bytes: 0 };
}

/** Inode, size and both times of a regular file; `-` for anything else or nothing. */
function signatureOf(info: Stats | undefined): string {
  if (info === undefined || !info.isFile()) return '-';
  return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/**
 * A store path this store will look up: `/`, then non-empty segments, none
 * of them `.`, `..` or ending in a dot or space (which Windows drops), no
 * backslash or control character, no trailing slash; no dot files unless
 * allowed, `.well-known` always. The edge's safePath makes such paths;
 * this is the store's own guard.
 */
function acceptable(path: string, dotfiles: boolean): boolean {
  if (path.charCodeAt(0) !== 0x2f || path.length < 2) return false;
  let start = 1;
  for (let i = 1; i <= path.length; i++) {
    const code = i === path.length ? 0x2f : path.charCodeAt(i);
    if (code === 0x2f) {
      if (i === start) return false;
      const last = path.charCodeAt(i - 1);
      if (last === 0x2e || last === 0x20) return false;
      if (!dotfiles && path.charCodeAt(start) === 0x2e && path.slice(start, i) !== '.well-known') return false;
      start = i + 1;
    } else if (code < 0x20 || code === 0x7f || code === 0x5c) {
      return false;
    }
  }
  return true;
}

class MemoryFileAsset implements FileAsset {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: undefined;
  readonly #bytes: Uint8Array<ArrayBuffer>;

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  constructor(bytes: Uint8Array<ArrayBuffer>, etag: string, lastModified: Date) {
    this.size = bytes.byteLength;
    this.etag = etag;
    this.lastModified = lastModified;
    this.#bytes = bytes;
  }

  body(range?: ByteRange): ReadableStream<Uint8Array> {
    const bytes = range === undefined ? this.#bytes : this.#bytes.subarray(range.start, range.end + 1);
    // Not a Uint8Array body: undici copies those twice on every response
    // (measured: 100 KiB files 2.8× faster without). The Node adapter sends
    // these bytes without reading the stream; the handler sets Content-Length.
    return wholeBodyStream(bytes);
  }
}

class DiskFileAsset implements FileAsset {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: undefined;
  readonly bytes: undefined;
  readonly #file: string;
  readonly #signature: string;

  constructor(file: string, signature: string, size: number, etag: string, lastModified: Date) {
    this.size = size;
    this.etag = etag;
    this.lastModified = lastModified;
    this.#file = file;
    this.#signature = signature;
  }

  body(range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    return streamFile(this.#file, this.#signature, range?.start ?? 0, range?.end ?? this.size - 1);
  }
}

/**
 * Bytes `start` to `end` of `file`, read 64 KiB at a time as the consumer
 * pulls. Refuses a file that changed since it was described (its headers
 * would be wrong); errors if it ends early, so a truncated file is never
 * sent as if whole.
 */
async function streamFile(file: string, signature: string, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
  const handle = await open(file, 'r');
  try {
    if (signatureOf(await handle.stat()) !== signature) throw new Error(`${file} changed while it was being served`);
  } catch (error) {
    await handle.close();
    throw error;
  }
  let position = start;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const length = Math.min(CHUNK, end + 1 - position);
      if (length <= 0) {
        close();
        controller.close();
        return;
      }
      try {
        const buffer = Buffer.allocUnsafeSlow(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        if (bytesRead === 0) throw new Error(`${file} ended at byte ${position}, before byte ${end}`);
        position += bytesRead;
        controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
        if (position > end) {
          close();
          controller.close();
        }
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel() {
      close();
    },
  });
}
