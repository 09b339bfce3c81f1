import type { Asset, AssetStore, ByteRange } from './asset-store.ts';

export interface MemoryFile {
  readonly content: string | Uint8Array<ArrayBuffer>;
  readonly etag?: string;
  readonly lastModified?: Date;
  readonly contentType?: string;
}

/** A store over files in memory, for tests: it records what the handler asks of it. */
export class MemoryStore implements AssetStore {
  readonly files: Map<string, MemoryFile> = new Map();
  /** Every path asked for, in order. */
  readonly asked: string[] = [];
  /** Every body handed out: the path and the range asked for. */
  readonly bodies: { path: string; range: ByteRange | undefined }[] = [];
  /** Paths whose asset was discarded. */
  readonly discarded: string[] = [];
  /** Hand bodies out as streams of `chunkSize` bytes instead of bytes. */
  streams = false;
  chunkSize = 4;

  constructor(files: Record<string, string | MemoryFile> = {}) {
    for (const [path, file] of Object.entries(files)) this.set(path, file);
  }

  set(path: string, file: string | MemoryFile): void {
    this.files.set(path, typeof file === 'string' ? { content: file } : file);
  }

  async get(path: string): Promise<Asset | null> {
    this.asked.push(path);
    const file = this.files.get(path);
    if (file === undefined) return null;
    const bytes = typeof file.content === 'string' ? new TextEncoder().encode(file.content) : file.content;
    return {
      size: bytes.byteLength,
      etag: file.etag ?? `"${path}-${bytes.byteLength}"`,
      lastModified: file.lastModified,
      contentType: file.contentType,
      body: (range?: ByteRange) => {
        this.bodies.push({ path, range });
        const part = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1);
        return this.streams ? chunked(part, this.chunkSize) : part;
      },
      discard: () => {
        this.discarded.push(path);
      },
    };
  }
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}
