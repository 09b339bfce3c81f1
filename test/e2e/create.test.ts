// From nothing to a running two-tier app, as a person gets it from the
// registry: every package packed (npm pack), `create-gatehouse` run from its
// tarball without a terminal, the project installed from the tarballs (not
// the workspace's links), its own test and type-check run, and for the
// edge + Node template `gatehouse dev` driven in headless Chromium.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, survivors } from '@gatehouse/test-support/processes';
import { freePort } from '@gatehouse/test-support/sockets';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const PACKAGES = ['core', 'edge', 'node', 'edge-node', 'lambda', 'cloudflare', 'cli', 'create-gatehouse'];
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Installs from the registry take what they take; each step is bounded. */
const MINUTES = 60_000;
/**
 * The environment of a person's shell: without the `npm_*` variables of the
 * `npm test` this runs under (its workspace, prefix and an empty `yes`),
 * which would make the project's npm commands act for this repository.
 */
const SHELL_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));

let work: string;
let tarballs: Map<string, string>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gatehouse-create-'));
  const packed = join(work, 'tarballs');
  mkdirSync(packed);
  tarballs = new Map();
  for (const name of PACKAGES) {
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packed], { cwd: join(ROOT, 'packages', name) });
    tarballs.set(name, join(packed, (JSON.parse(stdout) as { filename: string }[])[0]!.filename));
  }
}, 2 * MINUTES);

// Four installed projects (each with its own workerd) take a while to remove.
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
}, 5 * MINUTES);

/** `create-gatehouse` from its tarball, as `npm create gatehouse` runs it: no terminal, flags only. */
async function create(folder: string, template: string): Promise<{ project: string; output: string }> {
  const { stdout, stderr } = await run(
    'npm',
    ['exec', '--yes', `--package=${tarballs.get('create-gatehouse')}`, '--', 'create-gatehouse', folder, '--template', template, '--no-install', '--no-git'],
    { cwd: work, env: { ...SHELL_ENV, npm_config_user_agent: 'npm/11 node/v26' }, timeout: 3 * MINUTES },
  );
  return { project: join(work, folder), output: stdout + stderr };
}

/** The project's dependencies, @gatehouse/* from the tarballs and the rest from the registry. */
async function install(project: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const own = [...tarballs].filter(([name]) => name !== 'create-gatehouse').map(([, file]) => file);
  expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@gatehouse/')).length).toBeGreaterThan(0);
  await run('npm', ['install', '--no-audit', '--no-fund', ...own], { cwd: project, env: SHELL_ENV, timeout: 5 * MINUTES });
}



describe('edge + Node origin: create → install → test → dev → the page in Chromium', () => {
  let browser: Browser;
  let dev: ChildProcess | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, MINUTES);
  afterAll(async () => {
    await browser?.close();
    if (dev !== undefined && dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid!, 'SIGKILL');
  });

  it('works from the packed tarballs alone', { timeout: 12 * MINUTES }, async () => {
    const started = Date.now();
    const { project, output } = await create('my app', 'edge-node');
    expect(output).toContain('Created my-app in my app from the edge-node template');
    expect(output).toMatch(/cd "my app"\n\s+npm install\n\s+npm run dev/);
    expect(readdirSync(project).sort()).toEqual(
      ['.gitignore', 'Dockerfile', 'README.md', 'deploy', 'gatehouse.config.ts', 'package.json', 'public', 'src', 'test', 'tsconfig.edge.json', 'tsconfig.json', 'wrangler.toml'].sort(),
    );
    expect(readFileSync(join(project, 'wrangler.toml'), 'utf8')).toContain('name = "my-app-edge"');
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toMatch(/^# my-app\n/);
    const created = Date.now();

    await install(project);
    const installed = Date.now();
    const tested = await run('npm', ['test'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    expect(stripVTControlCharacters(tested.stdout)).toMatch(/Tests\s+1 passed/);
    await run('npm', ['run', 'typecheck'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    const planned = await run('npm', ['run', 'deploy', '--', '--dry-run'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    expect(planned.stdout).toContain('edge (workers): would run wrangler deploy --var ORIGIN:https://origin.example.com');

    const port = await freePort();
    const devStarted = Date.now();
    dev = spawn('npm', ['run', 'dev'], {
      cwd: project,
      detached: true,
      env: { ...SHELL_ENV, PORT: String(port), CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const exited = new Promise((resolve) => dev!.once('exit', resolve));
    const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = log.match(pattern);
          if (match !== null) resolve(match);
        };
        dev!.stdout!.on('data', check);
        void exited.then(() => reject(new Error(`dev exited before ${pattern}:\n${log}`)));
        check();
      });
    dev.stdout!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    dev.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    await waitFor(/ready in \d+\.\d s/);
    const edge = (await waitFor(/➜ edge\s+(\S+)/))[1]!;
    expect(edge).toBe(`http://127.0.0.1:${port}/`);
    expect((await fetch(edge)).status).toBe(200);
    const firstAnswer = Date.now();

    const page = await browser.newPage();
    expect((await page.goto(edge))?.status()).toBe(200);
    expect(await page.title()).toBe('my-app');
    await page.waitForFunction(() => document.getElementById('greeting')?.textContent?.startsWith('Hello'));
    expect(await page.textContent('#greeting')).toBe('Hello, browser!');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'create-edge-node.png'), fullPage: true });

    const appFile = join(project, 'src/app.ts');
    const edited = Date.now();
    writeFileSync(appFile, readFileSync(appFile, 'utf8').replace("c.json({ hello: c.req.query('name') ?? 'world' })", "c.json({ hello: `${c.req.query('name') ?? 'world'}, again` })"));
    for (;;) {
      await page.reload();
      await page.waitForFunction(() => document.getElementById('greeting')?.textContent?.startsWith('Hello'));
      if ((await page.textContent('#greeting')) === 'Hello, browser, again!') break;
    }
    const reloaded = Date.now();
    await page.screenshot({ path: join(ARTIFACTS, 'create-edge-node-edited.png'), fullPage: true });

    const processes = descendants(dev.pid!);
    process.kill(-dev.pid!, 'SIGINT');
    await exited;
    expect(log).toMatch(/Stopped\./);
    expect(await survivors(processes)).toEqual([]);

    // Figures for the issue's closing note; no test depends on them.
    console.log(
      JSON.stringify({
        createMs: created - started,
        installMs: installed - created,
        devStartMs: firstAnswer - devStarted,
        createToFirst200WithoutInstallMs: created - started + (firstAnswer - devStarted),
        createToFirst200Ms: installed - started + (firstAnswer - devStarted),
        reloadMs: reloaded - edited,
      }),
    );
  });
});

/** `npm run dev` in `project`, until it has printed where everything is; `stop()` is Ctrl+C, and waits. */
async function startDev(project: string): Promise<{ edge: string | undefined; urls: string; stop(): Promise<string> }> {
  const port = await freePort();
  const child = spawn('npm', ['run', 'dev'], {
    cwd: project,
    detached: true,
    env: { ...SHELL_ENV, PORT: String(port), CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (/ready in \d+\.\d s/.test(log)) resolve();
    };
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`dev exited before it was ready:\n${log}`)));
  });
  return {
    edge: /➜ edge\s+(\S+)/.exec(log)?.[1],
    urls: log,
    async stop() {
      process.kill(-child.pid!, 'SIGINT');
      await exited;
      return log;
    },
  };
}

describe.each([
  ['edge-lambda', '/api/hello?name=lambda', { hello: 'lambda' }, /^ {2}dist\/app\.zip +\d+\.\d KiB$/m, /would run wrangler deploy --var ORIGIN:<the Function URL of edge-lambda-app>/],
  ['worker', '/api/hello?name=worker', { hello: 'worker' }, /^ {2}dist\/edge\/index\.js +\d+\.\d KiB/m, /^edge \(workers\): would run wrangler deploy$/m],
  ['node', '/api/hello?name=node', { hello: 'node' }, /^ {2}dist\/app\/app\.mjs +\d+\.\d KiB/m, /^app \(node\): runs where you run it; nothing to ship from here$/m],
])('the %s template: create → install → test → type-check → build → deploy --dry-run → dev', (template, path, answer, artifact, plan) => {
  it('works from the packed tarballs alone', { timeout: 10 * MINUTES }, async () => {
    const { project } = await create(template, template);
    await install(project);
    const tested = await run('npm', ['test'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    expect(stripVTControlCharacters(tested.stdout)).toMatch(/Tests\s+1 passed/);
    await run('npm', ['run', 'typecheck'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    const built = await run('npm', ['run', 'build'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    expect(built.stdout).toMatch(artifact);
    const planned = await run('npm', ['run', 'deploy', '--', '--dry-run'], { cwd: project, env: SHELL_ENV, timeout: 3 * MINUTES });
    expect(planned.stdout).toMatch(plan);
    expect(planned.stdout).toContain('Dry run: nothing was called.');
    const dev = await startDev(project);
    try {
      // The edge where there is one (the Lambda origin behind it), else the App's own URL.
      const url = dev.edge ?? /➜ app\s+(\S+)/.exec(dev.urls)![1]!;
      const response = await fetch(new URL(path, url));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(answer);
      // A save reloads the tier that imports the file: the origin, or the Worker.
      const appFile = join(project, 'src/app.ts');
      writeFileSync(appFile, readFileSync(appFile, 'utf8').replace("hello: c.req.query('name') ?? 'world'", "hello: `${c.req.query('name') ?? 'world'} again`"));
      for (;;) {
        const again = await fetch(new URL(path, url)).catch(() => undefined);
        if (again?.status === 200 && ((await again.json()) as { hello: string }).hello.endsWith(' again')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      expect(await dev.stop()).toMatch(/Stopped\./);
    }
  });
});
