/**
 * A stream that starts reading `source` only once it is read itself.
 *
 * Handed to a transport or an App instead of `source`, it keeps `source`
 * unlocked for as long as nobody read from it, so that an attempt that
 * failed before sending any of the body leaves it whole for the next
 * server; `source.locked` then tells whether any of it went out.
 * Cancelling it before it read leaves `source` alone for the same reason.
 */
export function untilRead(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source.getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader?.cancel(reason);
      },
    },
    // Nothing is pulled before a consumer asks.
    { highWaterMark: 0 },
  );
}
