/**
 * Bytes `start` to `end` (inclusive) of `source`, read as they are pulled:
 * what comes before is read and dropped, and `source` is cancelled once
 * `end` has passed. Errors if `source` ends before `end`, so a short file
 * never passes for a whole range.
 */
export function sliceStream(source: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let position = 0; // bytes of `source` read so far
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            controller.error(new Error(`The asset ended at byte ${position}, before byte ${end}`));
            return;
          }
          const from = position;
          position += value.byteLength;
          if (position <= start) continue;
          const first = Math.max(0, start - from);
          const last = Math.min(value.byteLength, end + 1 - from);
          if (position > end) {
            if (last > first) controller.enqueue(value.subarray(first, last));
            controller.close();
            reader.cancel().catch(() => {});
            return;
          }
          // A pull that enqueues nothing is not called again: read on.
          if (last > first) {
            controller.enqueue(value.subarray(first, last));
            return;
          }
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

type FixedLengthStreamClass = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * `stream`, declared to be `length` bytes long where the runtime can be told
 * (workerd's `FixedLengthStream`), so its response keeps `Content-Length`:
 * workerd drops the field from a response whose body is a JavaScript
 * stream of unknown length and sends it chunked. Elsewhere, `stream` itself.
 */
export function withKnownLength(stream: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  const FixedLengthStream = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
  if (typeof FixedLengthStream !== 'function') return stream;
  const fixed = new FixedLengthStream(length);
  // Errors and cancellation cross the pipe both ways.
  stream.pipeTo(fixed.writable).catch(() => {});
  return fixed.readable;
}
