import type { App } from '@gatehouse/core';

const PIECE = new Uint8Array(16 * 1024).fill(0x61);

/** What the soak asks for: a hello, and 100 KiB streamed in 16 KiB pieces (the last one smaller). */
export const soakApp: App = {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path !== '/stream') return new Response('Hello, World!');
    let left = 100 * 1024;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          const piece = left >= PIECE.byteLength ? PIECE : PIECE.subarray(0, left);
          left -= piece.byteLength;
          controller.enqueue(piece);
          if (left === 0) controller.close();
        },
      }),
      { headers: { 'content-type': 'application/octet-stream' } },
    );
  },
};
