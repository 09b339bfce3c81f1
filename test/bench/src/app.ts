import type { App } from '@gatehouse/core';
import { realisticApp } from './realistic-app.ts';
import { sseResponse } from './sse.ts';

/** 100 KiB, sent as ten 10 KiB chunks. */
export const STREAM_CHUNK = new Uint8Array(10 * 1024).fill(0x61);
export const STREAM_CHUNKS = 10;

/**
 * The App every framework under test serves: the same object, so the
 * adapters are all that differ. `raw-node.ts` does the same by hand.
 */
export const benchApp: App = {
  async fetch(request, env, ctx) {
    const path = request.url.slice(request.url.indexOf('/', 8));
    if (path === '/hello') return new Response('Hello, World!');
    if (path === '/echo' && request.method === 'POST') return Response.json(await request.json());
    if (path === '/stream') {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ === STREAM_CHUNKS) controller.close();
            else controller.enqueue(STREAM_CHUNK);
          },
        }),
        { headers: { 'content-type': 'application/octet-stream' } },
      );
    }
    if (path === '/sse') return sseResponse();
    // The rows that look like real apps (and its 404s).
    return realisticApp.fetch(request, env, ctx);
  },
};
