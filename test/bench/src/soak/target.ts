// A process under soak: the App served by @gatehouse/node (`serve`), or the
// edge in front of an origin over one transport (`fetch`, `http1`,
// `undici`). Arguments: kind, port, origin URL (edge kinds). Answers the
// parent's 'measure' message with its memory after a full GC.
import { type App } from '@gatehouse/core';
import { defineEdge, fetchTransport, type Transport } from '@gatehouse/edge';
import { http1Transport, undiciTransport } from '@gatehouse/edge-node/transport';
import { serve } from '@gatehouse/node';
import { soakApp } from './app.ts';

const [kind, port, origin] = process.argv.slice(2);
const transports: Record<string, () => Transport> = { fetch: () => fetchTransport, http1: () => http1Transport(), undici: () => undiciTransport() };
const app: App =
  kind === 'serve' ? soakApp : defineEdge({ transport: transports[kind!]!(), pools: { app: { servers: [origin!] } }, routes: { '/': { proxy: 'app' } } });
await serve(app, { port: Number(port), hostname: '127.0.0.1', onError: () => {} });

process.on('message', (message) => {
  if (message !== 'measure') return;
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.send!({ rss, heapUsed, external, arrayBuffers });
});
process.send!('ready');
