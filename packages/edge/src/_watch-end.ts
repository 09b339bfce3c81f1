/**
 * `body` as a new stream that calls `onEnd` once when it is over: read to
 * the end (`completed`), failed, or cancelled by its reader (the client
 * left), with the bytes that went through.
 */
export function watchEnd(body: ReadableStream<Uint8Array>, onEnd: (bytes: number, completed: boolean) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  let bytes = 0;
  const end = (completed: boolean): void => {
    if (ended) return;
    ended = true;
    onEnd(bytes, completed);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await reader.read().catch((error: unknown) => {
          end(false);
          throw error;
        });
        if (chunk.done) {
          end(true);
          controller.close();
        } else {
          bytes += chunk.value.byteLength;
          controller.enqueue(chunk.value);
        }
      },
      cancel(reason) {
        end(false);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
