// The edge's access log in real workerd: lines are written after the
// answer, from ctx.waitUntil, and may fetch (here, to a collector on Node).
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestHarness } from 'wrangler';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_BUILD_CONDITIONS = '@gatehouse/source,workerd,worker,browser';

const CONFIG = join(import.meta.dirname, 'worker/wrangler.access-log.toml');
const lines: Record<string, unknown>[] = [];
let collector: Server;
let harness: ReturnType<typeof createTestHarness>;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      lines.push(JSON.parse(body) as Record<string, unknown>);
      res.end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(collector.address() as { port: number }).port}/log`;
  harness = createTestHarness({ workers: [{ configPath: CONFIG, vars: { COLLECTOR: url } }] });
  await harness.listen();
}, 60_000);

afterAll(async () => {
  await harness?.close();
  collector?.closeAllConnections();
  await new Promise((resolve) => collector?.close(resolve));
});

it('posts a JSON line per request once its body has gone: status, bytes of a streamed body, route, and refusals', async () => {
  expect(await (await harness.fetch('/hello?x=1', { headers: { 'user-agent': 'workerd-test' } })).text()).toBe('hello');
  expect(await (await harness.fetch('/stream')).text()).toBe('abcdefgh');
  expect((await harness.fetch('/nope')).status).toBe(403);
  await vi.waitFor(() => expect(lines).toHaveLength(3), { timeout: 10_000 });
  const byUri = Object.fromEntries(lines.map((line) => [line.uri, line]));
  expect(byUri['/hello?x=1']).toMatchObject({ method: 'GET', status: 200, bytes: 5, route: '= /hello', user_agent: 'workerd-test', completed: true });
  expect(byUri['/stream']).toMatchObject({ status: 200, bytes: 8, route: '/stream' });
  expect(byUri['/nope']).toMatchObject({ status: 403, route: '/' });
});
