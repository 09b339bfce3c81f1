// maxRss (uWSGI's reload-on-rss): a worker whose resident memory passes the
// bound is replaced, the new one first, and no request is dropped meanwhile.
import { fileURLToPath } from 'node:url';
import { load } from '@gatehouse/test-support/load';
import { afterEach, expect, it, vi } from 'vitest';
import { startContainer, type Container } from './index.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/app.ts', import.meta.url));
const running: Container[] = [];

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

afterEach(async () => {
  await Promise.all(running.splice(0).map((container) => container.close()));
});

it('replaces a worker whose memory passed maxRss, without dropping a request', async () => {
  const logs: string[] = [];
  // Any Node process is past 1 MiB: every worker goes in turn.
  const container = await startContainer({ app: FIXTURE, workers: 1, port: 0, maxRss: 2 ** 20, heartbeatInterval: 50, log: (line) => logs.push(line) });
  running.push(container);
  const [first] = container.stats().workers;
  const retired = new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 15_000;
    const check = (): void => {
      if (container.stats().retired >= 2) resolve();
      else if (Date.now() > deadline) reject(new Error(`no worker retired in 15 s: ${logs.join('\n')}`));
      else setTimeout(check, 50);
    };
    check();
  });
  const result = await load(new URL('/', container.url).href, 4, retired);
  await retired;
  expect(result.errors).toEqual([]);
  expect(result.statuses).toEqual({});
  expect(container.stats().workers[0]!.pid).not.toBe(first!.pid);
  expect(logs.join('\n')).toMatch(/worker 1 \(pid \d+\) passed maxRss with \d+ MiB resident: replaced/);
});

it('leaves workers alone under a bound they stay within', async () => {
  const container = await startContainer({ app: FIXTURE, workers: 1, port: 0, maxRss: 2 ** 40, heartbeatInterval: 50, log: () => {} });
  running.push(container);
  const [first] = container.stats().workers;
  for (let i = 0; i < 20; i++) expect((await fetch(container.url)).status).toBe(200);
  // Past several heartbeats, each of which compared its memory with the bound.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(container.stats()).toMatchObject({ retired: 0, workers: [{ pid: first!.pid }] });
});
