/**
 * Server-sent events held open: one small event at once, then one a second
 * until the client leaves. The connections bench (connections.ts) holds
 * thousands of these open to see what an open stream costs a server;
 * servers/raw-node.ts writes the same head and bytes by hand.
 */
export const SSE_HEAD: Readonly<Record<string, string>> = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
export const SSE_EVENT: Uint8Array = new TextEncoder().encode('data: tick\n\n');
export const SSE_INTERVAL_MS = 1000;

export function sseResponse(): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        // At once, so that a client knows its stream is open without waiting a second.
        controller.enqueue(SSE_EVENT);
        timer = setInterval(() => controller.enqueue(SSE_EVENT), SSE_INTERVAL_MS);
      },
      // The adapter cancels the body when the client leaves: a timer left running would hold the stream forever.
      cancel() {
        clearInterval(timer);
      },
    }),
    { headers: SSE_HEAD },
  );
}
