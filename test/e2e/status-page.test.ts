// The edge's status page in a real browser (Debian's chromium, driven by
// playwright-core): an edge on Node in front of two real origins with
// health checks; the page is opened, an origin killed, and the page must
// show it down, then up again once it is restarted on its port. The page
// is saved as artifacts/status-page-*.png.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { memoryCacheStore } from '@gatehouse/edge';
import { defineEdge, type NodeEdgeApp } from '@gatehouse/edge-node';
import { serve, type NodeServer } from '@gatehouse/node';
import { freePort } from '@gatehouse/test-support/sockets';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let edge: NodeEdgeApp;
let edgeServer: NodeServer;
let stopChecks: () => void;
const origins = new Map<number, Server>();

async function startOrigin(port: number): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url!.startsWith('/cached/')) res.setHeader('cache-control', 'max-age=600');
    res.end(req.url === '/healthz' ? 'ok' : `origin ${port}`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  origins.set(port, server);
}

async function stopOrigin(port: number): Promise<void> {
  const server = origins.get(port)!;
  origins.delete(port);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

let ports: number[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ports = [await freePort(), await freePort()];
  for (const port of ports) await startOrigin(port);
  edge = defineEdge({
    status: { path: '/_status', token: 'look' },
    pools: {
      app: {
        servers: ports.map((port) => `http://127.0.0.1:${port}`),
        healthCheck: { path: '/healthz', interval: 200, timeout: 500 },
        failTimeout: 60_000,
      },
    },
    routes: {
      '/cached/': { proxy: { pool: 'app', onError: () => {}, cache: { store: memoryCacheStore() } } },
      '/': { proxy: { pool: 'app', onError: () => {} } },
    },
  });
  edgeServer = await serve(edge, { port: 0, hostname: '127.0.0.1' });
  stopChecks = edge.startHealthChecks();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  stopChecks?.();
  await browser?.close();
  await edgeServer?.close();
  await edge?.close();
  for (const port of origins.keys()) await stopOrigin(port);
}, 60_000);

it('shows an origin go down when it is killed, and come back when it is restarted', async () => {
  for (let i = 0; i < 6; i++) await (await fetch(`${edgeServer.url}page-${i}`)).text();
  const page = await browser.newPage();
  await page.goto(`${edgeServer.url}_status?token=look`);
  const row = (port: number) => page.locator(`tr[data-server="http://127.0.0.1:${port}"]`);
  await expect.poll(() => row(ports[0]!).getAttribute('data-state'), { timeout: 10_000 }).toBe('up');
  await expect.poll(() => row(ports[1]!).getAttribute('data-state'), { timeout: 10_000 }).toBe('up');
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-up.png'), fullPage: true });

  await stopOrigin(ports[1]!);
  await expect.poll(() => row(ports[1]!).getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
  expect(await row(ports[0]!).getAttribute('data-state')).toBe('up');
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-down.png'), fullPage: true });

  await startOrigin(ports[1]!);
  await expect.poll(() => row(ports[1]!).getAttribute('data-state'), { timeout: 15_000 }).toBe('up');
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-back.png'), fullPage: true });
  // The requests sent before the page opened are in its figures.
  const rps = await row(ports[0]!).locator('td').nth(3).textContent();
  expect(rps).not.toBeNull();
  await page.close();
}, 90_000);

it('shows each cached route\'s hit ratio and counts', async () => {
  // One miss, then three hits.
  for (let i = 0; i < 4; i++) await (await fetch(`${edgeServer.url}cached/page`)).text();
  const page = await browser.newPage();
  await page.goto(`${edgeServer.url}_status?token=look`);
  const row = page.locator('tr[data-cache="/cached/"]');
  await expect.poll(() => row.locator('td.ratio').textContent(), { timeout: 10_000 }).toBe('75.0 %');
  expect(await row.locator('td').nth(2).textContent()).toBe('3');
  expect(await row.locator('td').nth(3).textContent()).toBe('1');
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-cache.png'), fullPage: true });
  await page.close();
}, 60_000);
