import { watchEnd } from '../_watch-end.ts';
import { type ClientBodyRead, ClientTimeoutError } from '../upstream/transport.ts';
import type { BodySpill, SpillFile } from './body-spill.ts';

/**
 * The client's body read ahead: whole (in memory or in a spilled file,
 * either way sent again on a retry), or a prefix with the rest still
 * streaming (the prefix in `spilled` when it went to a file first).
 */
export type ReadAhead =
  | { readonly whole: Uint8Array | SpillFile }
  | { readonly stream: ReadableStream<Uint8Array>; readonly spilled: SpillFile | undefined };

/** Where a body longer than memory goes, and the longest body it takes. */
export interface Spilling {
  readonly spill: BodySpill;
  readonly bound: number;
}

/**
 * Read the client's body before any server is asked (nginx's
 * `proxy_request_buffering on`), so that a slow uploader holds the edge
 * only, never a server: up to `limit` bytes are held in memory; a longer
 * body goes whole to a file of `spilling`, if given, while it is at most
 * `spilling.bound` bytes (nginx's `client_body_buffer_size`, then
 * `client_body_temp_path`); a body longer still goes on as what was read
 * followed by the rest, streamed. Rejects with a {@link ClientTimeoutError}
 * when the client sends nothing for `silence` ms (0: no limit), with the
 * body's own error (the client left, or sent more than the server's
 * limit), or with the spill's (it could not write); a file is removed
 * before it rejects.
 */
export async function readAhead(body: ReadableStream<Uint8Array>, limit: number, silence: number, spilling: Spilling | undefined): Promise<ReadAhead> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let file: SpillFile | undefined;
  try {
    for (;;) {
      const chunk = await nextPiece(reader, silence);
      if (chunk.done) return { whole: file ?? concat(chunks, length) };
      length += chunk.value.byteLength;
      if (file !== undefined) {
        if (length <= spilling!.bound) {
          // In step: the client is read no faster than the disk takes it.
          await file.write(chunk.value).catch(cancelling(reader));
          continue;
        }
        // Past the file's bound too: what the file holds goes first, then the rest as it comes.
        return { stream: prefixed(file.stream(), [chunk.value], reader), spilled: file };
      }
      chunks.push(chunk.value);
      if (length > limit) {
        // Past the bound: what was read goes first, then the rest as it comes.
        if (spilling === undefined || length > spilling.bound) return { stream: prefixed(undefined, chunks, reader), spilled: undefined };
        // The whole body goes to the file, what memory held included, so memory is freed for the rest of the exchange.
        file = await spilling.spill.create().catch(cancelling(reader));
        for (const part of chunks) await file.write(part).catch(cancelling(reader));
        chunks.length = 0;
      }
    }
  } catch (error) {
    if (file !== undefined) await removeSpilled(file);
    throw error;
  }
}

/** The next piece of the client's body, or a {@link ClientTimeoutError} after `silence` ms without one. */
async function nextPiece(reader: ReadableStreamDefaultReader<Uint8Array>, silence: number): Promise<ClientBodyRead> {
  if (silence === 0) return reader.read();
  let timer: ReturnType<typeof setTimeout> | null = null;
  return Promise.race([
    reader.read(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClientTimeoutError(silence)), silence);
    }),
  ]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}

/** A spill that failed leaves the client's body unread: it is given up, and the failure passed on. */
function cancelling(reader: ReadableStreamDefaultReader<Uint8Array>): (error: unknown) => never {
  return (error) => {
    reader.cancel(error).catch(ignore);
    throw error;
  };
}

/** `first` (if any), then `held`, then the rest of `rest`. */
function prefixed(first: ReadableStream<Uint8Array> | undefined, held: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let head = first?.getReader();
  let queued: Uint8Array[] | undefined = held;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (head !== undefined) {
        const { done, value } = await head.read();
        if (!done) return controller.enqueue(value);
        head = undefined;
      }
      if (queued !== undefined) {
        for (const part of queued) controller.enqueue(part);
        queued = undefined;
        return;
      }
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      head?.cancel(reason).catch(ignore);
      return rest.cancel(reason);
    },
  });
}

/** A new stream of `bytes`, one per attempt, so that a buffered body can be sent again. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        readAheadBodies.delete(stream);
        if (bytes.byteLength > 0) controller.enqueue(bytes);
        controller.close();
      },
    },
    // Nothing is pulled until someone reads: the bytes stay claimable until then.
    { highWaterMark: 0 },
  );
  readAheadBodies.set(stream, bytes);
  return stream;
}

/** Streams of bodies read whole, by the bytes they hold: a transport may send those at once. */
const readAheadBodies = new WeakMap<ReadableStream<Uint8Array>, Uint8Array>();

/**
 * The bytes of a request body the proxy read whole before asking a server
 * (`buffering`), if `stream` is such a body and nobody has read it: the
 * stream is then spent. A transport that can write bytes takes them here
 * rather than through a reader, which costs more than the write itself
 * (as `@gatehouse/node` does for answers it knows whole).
 */
export function takeReadAheadBody(stream: ReadableStream<Uint8Array>): Uint8Array | undefined {
  const bytes = readAheadBodies.get(stream);
  if (bytes === undefined || stream.locked) return undefined;
  readAheadBodies.delete(stream);
  return bytes;
}

/** A body read whole, in memory or spilled, as a new stream for one attempt. */
export function resent(whole: Uint8Array | SpillFile): ReadableStream<Uint8Array> {
  return whole instanceof Uint8Array ? streamOf(whole) : whole.stream();
}

/** The bytes of a body read whole. */
export function lengthOf(whole: Uint8Array | SpillFile): number {
  return whole instanceof Uint8Array ? whole.byteLength : whole.size;
}

/** What {@link removedAfter} needs of an answer: a Response, or a HeadAnswer (whose fields are a flat list). */
interface Over {
  readonly status: number;
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
  readonly headers: Headers | readonly string[];
}

/**
 * `answer`, with `file` removed once the exchange is over: at once if
 * nothing more is to come (no body to stream, or a 101 that must go out
 * as the very object it is), else when its body has been read or the
 * client cancelled it. The request's body may still be read from the
 * file until then: a server can answer before it has taken all of it.
 */
export function removedAfter<A extends Over>(answer: A, file: SpillFile): A {
  const body = answer.body;
  if (body === null || body instanceof Uint8Array || answer.status === 101) {
    void removeSpilled(file);
    return answer;
  }
  const watched = watchEnd(body, () => void removeSpilled(file));
  if (Array.isArray(answer.headers)) return { ...answer, body: watched };
  const response = answer as unknown as Response;
  return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers }) as unknown as A;
}

/** Remove `file`; a failure is logged, never the client's concern. */
export function removeSpilled(file: SpillFile): Promise<void> {
  return file.remove().catch((error: unknown) => {
    console.warn(`[gatehouse] could not remove a spilled request body: ${(error as Error).message}`);
  });
}

/**
 * The server's body read ahead of the client by up to `limit` bytes
 * (nginx's `proxy_buffering on`): the server is read at its own speed and
 * its connection freed while a slow client is still reading, yet the edge
 * never holds more than `limit` bytes of it. What arrives still goes to
 * the client as soon as the client reads.
 */
export function readAheadOfClient(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(undefined, new ByteLengthQueuingStrategy({ highWaterMark: limit })));
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const whole = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}

function ignore(): void {}
