// The repository's first command, as a person runs it: `npm run dev` at the
// root serves the demo through the edge in workerd, and its page works in a
// real browser (Debian's chromium, driven by playwright-core).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { descendants, survivors } from '@gatehouse/test-support/processes';
import { freePort } from '@gatehouse/test-support/sockets';

const ROOT = join(import.meta.dirname, '../..');
const ORIGIN_FILE = join(ROOT, 'apps/demo/src/app.ts');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
/** As root, on a closed network, without a GPU. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dev: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let browser: Browser;
const original = readFileSync(ORIGIN_FILE, 'utf8');


function waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = output.match(pattern);
      if (match === null) return;
      dev.stdout!.off('data', check);
      resolve(match);
    };
    dev.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`npm run dev exited (${code}) before ${pattern}:\n${output}`)));
    check();
  });
}


beforeAll(async () => {
  const port = await freePort();
  // Its own process group, as a terminal gives it: Ctrl+C signals the whole group.
  dev = spawn('npm', ['run', 'dev'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: String(port), CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  dev.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  exited = new Promise((resolve) => dev.once('exit', (code) => resolve(code)));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  writeFileSync(ORIGIN_FILE, original);
  await browser?.close();
  if (dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid!, 'SIGKILL');
});

it('npm run dev prints the edge URL, which answers 200, and the page gets its API answer through the proxy', { timeout: 120_000 }, async () => {
  await waitForOutput(/ready in \d+\.\d s/);
  const edge = (await waitForOutput(/➜ edge\s+(\S+)/))[1]!;
  expect((await fetch(edge)).status).toBe(200);

  const page = await browser.newPage();
  const response = await page.goto(edge);
  expect(response?.status()).toBe(200);
  // From apps/demo/public, through the assets binding, with its stylesheet.
  expect(await page.title()).toBe('Gatehouse demo');
  expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain('system-ui');
  // The page's own fetch of /api/hello, proxied to the Hono app in the container.
  await page.waitForFunction(() => document.getElementById('greeting')?.textContent?.startsWith('Hello'));
  expect(await page.textContent('#greeting')).toBe('Hello, browser: answered by the origin on node');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-dev.png'), fullPage: true });

  // A save in the origin reloads it; the page shows the new answer.
  writeFileSync(ORIGIN_FILE, original.replace("hello: c.req.query('name') ?? 'world'", "hello: `${c.req.query('name') ?? 'world'} (edited)`"));
  await waitForOutput(/app\s*│ src\/app\.ts changed: reloading/);
  for (;;) {
    await page.reload();
    await page.waitForFunction(() => document.getElementById('greeting')?.textContent?.startsWith('Hello'));
    if ((await page.textContent('#greeting'))?.includes('(edited)')) break;
  }
  expect(await page.textContent('#greeting')).toBe('Hello, browser (edited): answered by the origin on node');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-dev-edited.png'), fullPage: true });
  writeFileSync(ORIGIN_FILE, original);

  // Ctrl+C: everything stops, nothing is left.
  const processes = descendants(dev.pid!);
  expect(processes.length).toBeGreaterThanOrEqual(4);
  process.kill(-dev.pid!, 'SIGINT');
  await exited;
  expect(output).toMatch(/Stopped\./);
  expect(await survivors(processes)).toEqual([]);
});
