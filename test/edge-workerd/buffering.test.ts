// Request buffering in real workerd: by default the edge reads a slow
// upload whole before the origin hears of it, so the origin is not held
// while the client trickles; a route with `buffering: false` streams it.
// The assertions are on the order of events; the figures are printed.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestHarness } from 'wrangler';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_BUILD_CONDITIONS = '@gatehouse/source,workerd,worker,browser';

const CONFIG = join(import.meta.dirname, 'worker/wrangler.buffering.toml');
/** When each upload's request head reached the origin, and when its body had all arrived. */
const seen = new Map<string, { arrived: number; bodyDone: number; bytes: number }>();
let origin: Server;
let harness: ReturnType<typeof createTestHarness>;
let base: URL;

beforeAll(async () => {
  origin = createServer((req, res) => {
    const arrived = performance.now();
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      seen.set(req.url!, { arrived, bodyDone: performance.now(), bytes });
      res.end(`got ${bytes}`);
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  harness = createTestHarness({ workers: [{ configPath: CONFIG, vars: { ORIGIN: url } }] });
  ({ url: base } = await harness.listen());
}, 60_000);

afterAll(async () => {
  await harness?.close();
  origin?.closeAllConnections();
  await new Promise((resolve) => origin?.close(resolve));
});

/** 20 bytes, one every 50 ms; resolves with when the last was written and the answer. */
function slowUpload(path: string): Promise<{ lastWrite: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const client = httpRequest(new URL(path, base).href, { method: 'POST', headers: { 'content-length': '20', 'content-type': 'text/plain' } });
    let lastWrite = 0;
    client.on('response', (res) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (answer += chunk));
      res.on('end', () => resolve({ lastWrite, answer }));
    });
    client.on('error', reject);
    client.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      client.write('x');
      if (++sent === 20) {
        clearInterval(timer);
        lastWrite = performance.now();
        client.end();
      }
    }, 50);
  });
}

it('reads a slow upload before the origin hears of it by default, and streams it where the route says', async () => {
  const buffered = await slowUpload('/upload');
  const streamed = await slowUpload('/streamed/upload');
  expect([buffered.answer, streamed.answer]).toEqual(['got 20', 'got 20']);
  const atOrigin = seen.get('/upload')!;
  const streamedAtOrigin = seen.get('/streamed/upload')!;
  console.log(
    `workerd, 1 s upload: buffered, the origin heard of it ${(atOrigin.arrived - buffered.lastWrite).toFixed(0)} ms after the last byte was sent and held it ${(atOrigin.bodyDone - atOrigin.arrived).toFixed(1)} ms; ` +
      `streamed, ${(streamed.lastWrite - streamedAtOrigin.arrived).toFixed(0)} ms before it, held ${(streamedAtOrigin.bodyDone - streamedAtOrigin.arrived).toFixed(0)} ms`,
  );
  // Buffered: the origin's request began only once the client had sent it all.
  expect(atOrigin.arrived).toBeGreaterThanOrEqual(buffered.lastWrite - 1);
  // Streamed: the origin held the request while the client trickled.
  expect(streamedAtOrigin.arrived).toBeLessThan(streamed.lastWrite - 500);
}, 30_000);
