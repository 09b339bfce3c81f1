import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BodySpill, SpillFile } from '@gatehouse/edge';

/** Options of {@link fileSpill}. */
export interface FileSpillOptions {
  /** The folder of the temp files (nginx's `client_body_temp_path`); made if missing. Defaults to `os.tmpdir()`. */
  readonly dir?: string;
}

/** How much of a spilled body is read from disk at once. */
const READ_SIZE = 64 * 1024;

/**
 * Request bodies read ahead past memory (`buffering.requestFile` of a
 * proxy route) go to temp files in `dir`, as nginx's go to
 * `client_body_temp_path`: one file per body, named at random, readable
 * by this user only (0600), removed when the exchange is over. The
 * default of `defineEdge` from this package.
 *
 * @example
 * ```ts
 * import { defineEdge, fileSpill } from '@gatehouse/edge-node'
 *
 * const edge = defineEdge({
 *   bodySpill: fileSpill({ dir: '/var/cache/gatehouse/bodies' }),
 *   pools: { app: { servers: ['http://127.0.0.1:8001'] } },
 *   // Uploads up to 64 KiB in memory, up to 50 MiB in a temp file, read before the app hears of them.
 *   routes: { '/': { proxy: { pool: 'app', buffering: { request: 64 * 1024, requestFile: 50 * 1024 * 1024 } } } },
 * })
 * ```
 */
export function fileSpill(options: FileSpillOptions = {}): BodySpill {
  const dir = options.dir ?? tmpdir();
  return {
    async create(): Promise<SpillFile> {
      const path = join(dir, `gatehouse-body-${randomBytes(12).toString('hex')}`);
      let handle: FileHandle;
      try {
        // Exclusive: a name taken already, by chance or by another user, is an error rather than a file shared.
        handle = await open(path, 'wx+', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dir, { recursive: true, mode: 0o700 });
        handle = await open(path, 'wx+', 0o600);
      }
      return new TempFile(path, handle);
    },
  };
}

/** One body on disk: written at the end, read at given offsets, so streams for several attempts never share a position. */
class TempFile implements SpillFile {
  readonly #path: string;
  readonly #handle: FileHandle;
  #size = 0;
  #removed: Promise<void> | undefined;

  constructor(path: string, handle: FileHandle) {
    this.#path = path;
    this.#handle = handle;
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.byteLength) {
      const { bytesWritten } = await this.#handle.write(chunk, at, chunk.byteLength - at, this.#size);
      at += bytesWritten;
      this.#size += bytesWritten;
    }
  }

  stream(): ReadableStream<Uint8Array> {
    const handle = this.#handle;
    const end = this.#size;
    let position = 0;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (position >= end) return controller.close();
          const length = Math.min(READ_SIZE, end - position);
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          if (bytesRead === 0) throw new Error(`the spilled body ended at ${position} of ${end} bytes`);
          position += bytesRead;
          controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        },
      },
      // Nothing is read before the transport asks: an attempt that never connected reads nothing.
      { highWaterMark: 0 },
    );
  }

  remove(): Promise<void> {
    this.#removed ??= Promise.all([
      this.#handle.close(),
      unlink(this.#path).catch((error: unknown) => {
        // Gone already (a temp cleaner): what removing wanted.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }),
    ]).then(() => {});
    return this.#removed;
  }
}
