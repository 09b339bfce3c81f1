import { ClientTimeoutError } from '../upstream/transport.ts';

/** The client's body read ahead: whole (then re-sendable), or a prefix with the rest still streaming. */
export type ReadAhead = { readonly whole: Uint8Array } | { readonly stream: ReadableStream<Uint8Array> };

/**
 * Read the client's body before any server is asked (nginx's
 * `proxy_request_buffering on`), so that a slow uploader holds the edge
 * only, never a server: up to `limit` bytes are held in memory; a longer
 * body goes on as the held part followed by the rest, streamed. Rejects
 * with a {@link ClientTimeoutError} when the client sends nothing for
 * `silence` ms (0: no limit), and with the body's own error otherwise
 * (the client left, or sent more than the server's limit).
 */
export async function readAhead(body: ReadableStream<Uint8Array>, limit: number, silence: number): Promise<ReadAhead> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const next = reader.read();
    const chunk =
      silence === 0
        ? await next
        : await Promise.race([
            next,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new ClientTimeoutError(silence)), silence);
            }),
          ]).finally(() => {
            if (timer !== null) clearTimeout(timer);
          });
    if (chunk.done) return { whole: concat(chunks, length) };
    chunks.push(chunk.value);
    length += chunk.value.byteLength;
    if (length > limit) {
      // Past the bound: what was read goes first, then the rest as it comes.
      let held: Uint8Array[] | undefined = chunks;
      return {
        stream: new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (held !== undefined) {
              for (const part of held) controller.enqueue(part);
              held = undefined;
              return;
            }
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        }),
      };
    }
  }
}

/** A new stream of `bytes`, one per attempt, so that a buffered body can be sent again. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
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
