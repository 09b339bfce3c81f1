import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { logger } from 'hono/logger';

/**
 * An App shaped like the ones people deploy, for the rows that look like
 * real apps: Hono with a request logger, CORS and a bearer-token check in
 * front of a JSON API, an upload read whole, and files served by the App
 * itself with @hono/node-server's serveStatic (what a Hono app on Node
 * uses). Every adapter serves this same object; servers/raw-node.ts does
 * the same work by hand.
 */

export const API_TOKEN = 'bench-token-0123456789';
export const API_ORIGIN = 'https://app.example';

/** The API's answer: 94 records, about 10 KB of JSON once serialised. */
export const ITEMS = Array.from({ length: 94 }, (_, i) => ({
  id: 1000 + i,
  sku: `SKU-${String(i).padStart(5, '0')}`,
  title: `Item number ${i}`,
  price: Math.round((9.99 + i * 1.5) * 100) / 100,
  inStock: i % 3 !== 0,
  tags: ['bench', i % 2 === 0 ? 'even' : 'odd'],
}));

/** The file the App serves: 40 KiB, the size of a small script bundle (written by the bench before the servers start). */
export const STATIC_DIR = join(tmpdir(), 'gatehouse-bench-static');
export const STATIC_FILE = 'app.js';
export const STATIC_SIZE = 40 * 1024;
// serveStatic complains at once about a root that is not there yet.
mkdirSync(STATIC_DIR, { recursive: true });

export function writeStaticFile(): void {
  mkdirSync(STATIC_DIR, { recursive: true });
  const line = 'export const answer = () => "The quick brown fox jumps over the lazy dog";\n';
  writeFileSync(join(STATIC_DIR, STATIC_FILE), line.repeat(Math.ceil(STATIC_SIZE / line.length)).slice(0, STATIC_SIZE));
}

/**
 * Where the log lines go: counted and dropped, so the rows measure the
 * adapters rather than a terminal or a pipe; every server logs the same lines.
 */
let logged = 0;
export function logLine(line: string): void {
  logged += line.length;
}

export const realisticApp = new Hono()
  .use(logger(logLine))
  .use('/api/*', cors({ origin: API_ORIGIN, credentials: true }))
  .use('/api/*', bearerAuth({ token: API_TOKEN }))
  .get('/api/items', (c) => c.json({ items: ITEMS, total: ITEMS.length }))
  .post('/api/upload', async (c) => {
    const body = await c.req.arrayBuffer();
    return c.json({ received: body.byteLength });
  })
  .use('/static/*', serveStatic({ root: STATIC_DIR, rewriteRequestPath: (path) => path.slice('/static'.length) }));
