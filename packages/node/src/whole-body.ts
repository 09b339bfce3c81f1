/**
 * Body streams whose whole content is known when they are made: files the
 * asset store keeps in memory. Sending one through a reader costs more than
 * the rest of a small static response (a reader, two reads, a tick to see
 * the end), so the adapter takes the bytes straight from here instead, but
 * only from a stream nobody has touched: the first pull, which a reader, a
 * tee or a pipe makes, forgets the bytes, and a locked stream is left to
 * its reader.
 */
const wholeBodies = new WeakMap<ReadableStream<Uint8Array>, Uint8Array>();

/** A stream of `bytes`, as one chunk, that the Node adapter can send without reading it. */
export function wholeBodyStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        wholeBodies.delete(stream);
        controller.enqueue(bytes);
        controller.close();
      },
    },
    // Nothing is pulled until someone reads: the bytes stay claimable until then.
    { highWaterMark: 0 },
  );
  wholeBodies.set(stream, bytes);
  return stream;
}

/** The bytes of an untouched stream from {@link wholeBodyStream}, which is then spent; else undefined. */
export function takeWholeBody(stream: ReadableStream<Uint8Array>): Uint8Array | undefined {
  const bytes = wholeBodies.get(stream);
  if (bytes === undefined || stream.locked) return undefined;
  wholeBodies.delete(stream);
  return bytes;
}
