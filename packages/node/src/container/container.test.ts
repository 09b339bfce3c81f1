import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ContainerError, startContainer, type Container, type ContainerOptions } from './index.ts';
import { load } from '@gatehouse/test-support/load';
import { isAlive } from '@gatehouse/test-support/processes';

const FIXTURE = new URL('../../test/fixtures/app.ts', import.meta.url);
let dir: string;
let appFile: string;
const running: Container[] = [];

// Real processes, real loads: seconds, not milliseconds.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-container-'));
  appFile = join(dir, 'app.ts');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(running.splice(0).map((container) => container.close()));
});

function writeApp(version: string): void {
  const source = readFileSync(FIXTURE, 'utf8').replace("const VERSION = 'v0'", `const VERSION = '${version}'`);
  writeFileSync(appFile, source);
}

async function start(options: Partial<ContainerOptions> & { logs?: string[] } = {}): Promise<Container> {
  const { logs, ...rest } = options;
  if (rest.app === undefined) writeApp('v1');
  const container = await startContainer({
    app: appFile,
    workers: 2,
    port: 0,
    timeout: 2_000,
    gracefulTimeout: 5_000,
    keepAliveTimeout: 2_000,
    log: (line) => logs?.push(line),
    ...rest,
  });
  running.push(container);
  return container;
}

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

/** Poll until `check` holds, for at most `ms`; the test fails on the assertion after it otherwise. */
async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Run `body` with the fixture's `/spin` writing the pid of the worker it
 * reached to a log: `spinning()` waits until a request is spinning, and
 * gives that worker's pid.
 */
async function withSpinLog(body: (spinning: () => Promise<number>) => Promise<void>): Promise<void> {
  const log = join(dir, `spin-${Date.now()}.log`);
  writeFileSync(log, '');
  process.env.SPIN_LOG = log;
  try {
    await body(async () => {
      await waitFor(() => readFileSync(log, 'utf8').trim() !== '');
      return Number(readFileSync(log, 'utf8').trim());
    });
  } finally {
    delete process.env.SPIN_LOG;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An App whose `/held` requests wait for the test: see {@link holdingApp}. */
interface Holding {
  /** The App file: the fixture (as `writeApp` left it), with `/held`. */
  readonly app: string;
  /** The pid of the worker that has the first `/held` request, once it has it (at most 10 s). */
  arrival(): Promise<number>;
  /** Let every `/held` request answer, as `/` does. */
  release(): void;
}

/**
 * The fixture App with one more route: `/held` writes the worker's pid to a
 * file, then answers (as `/` does) only once the test releases it, so that a
 * test knows when a request is in flight and for how long.
 */
function holdingApp(): Holding {
  const arrived = join(dir, `held-${Date.now()}.log`);
  const released = join(dir, `released-${Date.now()}`);
  const app = join(dir, 'holding.ts');
  writeFileSync(arrived, '');
  writeFileSync(
    app,
    `import { appendFileSync, existsSync } from 'node:fs';
import app from './app.ts';
export default {
  ...app,
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== '/held') return app.fetch(request, env, ctx);
    appendFileSync(${JSON.stringify(arrived)}, process.pid + '\\n');
    while (!existsSync(${JSON.stringify(released)})) await new Promise((resolve) => setTimeout(resolve, 10));
    return app.fetch(new Request(new URL('/', url)), env, ctx);
  },
};
`,
  );
  return {
    app,
    async arrival() {
      await waitFor(() => readFileSync(arrived, 'utf8').trim() !== '');
      const pid = Number(readFileSync(arrived, 'utf8').trim().split('\n')[0]);
      if (!(pid > 0)) throw new Error('no worker got the /held request within 10 s');
      return pid;
    },
    release: () => writeFileSync(released, ''),
  };
}

/**
 * Once `pid` has been told to stop (its state reads 'stopping'), asks it for
 * its figures. The question goes after the stop on the same channel, in
 * order: an answer saying `inFlight: 1` shows the worker got the stop while
 * it still had its request. Heartbeats must be far apart (the figures are
 * then only its answer's).
 */
async function stoppingWithRequest(container: Container, pid: number): Promise<void> {
  const state = (): string | undefined => container.stats().workers.find((worker) => worker.pid === pid)?.state;
  await waitFor(() => state() === undefined || state() === 'stopping');
  if (state() === undefined) throw new Error(`worker ${pid} exited with its request in flight`);
  const stats = await container.currentStats(5_000);
  expect(stats.workers.find((worker) => worker.pid === pid)).toMatchObject({ state: 'stopping', inFlight: 1 });
}

describe('workers', () => {
  it('runs N workers on one port and spreads requests over them', async () => {
    const container = await start({ workers: 2 });
    const pids = new Set<string>();
    for (let i = 0; i < 10; i++) pids.add((await text(container.url)).split(' ')[1]!);
    expect(pids.size).toBe(2);
    const stats = container.stats();
    expect(stats.workers.map((worker) => [worker.slot, worker.state])).toEqual([
      [1, 'ready'],
      [2, 'ready'],
    ]);
    expect(new Set(stats.workers.map((worker) => String(worker.pid)))).toEqual(pids);
  });

  it('answers the readiness path itself', async () => {
    const container = await start({ workers: 1, readinessPath: '/_ready' });
    const response = await fetch(new URL('/_ready', container.url));
    expect([response.status, await response.text()]).toEqual([200, 'ready\n']);
    expect((await fetch(new URL('/nope', container.url))).status).toBe(404);
  });

  it('does not count readiness probes as requests: they neither recycle a worker nor keep it busy', async () => {
    const container = await start({ workers: 1, readinessPath: '/_ready', maxRequests: 5, heartbeatInterval: 50 });
    const [pid] = container.stats().workers.map((w) => w.pid);
    for (let i = 0; i < 12; i++) expect((await fetch(new URL(`/_ready?n=${i}`, container.url))).status).toBe(200);
    await fetch(new URL('/', container.url));
    await waitFor(() => container.stats().requests === 1);
    expect(container.stats().requests).toBe(1);
    expect(container.stats().retired).toBe(0);
    expect(container.stats().workers.map((w) => w.pid)).toEqual([pid]);
  });

  it('currentStats() asks the workers for their figures now; one that does not answer in time keeps its last ones', async () => {
    await withSpinLog(async (spinning) => {
      // Heartbeats far apart: only an answer to the question can bring a figure this fast.
      const container = await start({ workers: 2, timeout: 20_000, heartbeatInterval: 10_000 });
      for (let i = 0; i < 4; i++) expect((await plainGet(new URL('/', container.url))).status).toBe(200);
      expect(container.stats().requests).toBe(0);
      expect((await container.currentStats()).requests).toBe(4);

      const spin = plainGet(new URL('/spin?ms=3000', container.url));
      const stuck = await spinning();
      expect((await plainGet(new URL('/', container.url))).body).not.toMatch(` ${stuck}`);
      const asked = Date.now();
      const stats = await container.currentStats(300);
      expect(Date.now() - asked).toBeLessThan(2_000);
      // The spinning worker's figures are those it gave before it spun: its /spin is not in them.
      expect(stats.requests).toBe(5);
      expect(stats.workers.map((worker) => worker.state)).toEqual(['ready', 'ready']);
      expect((await spin).status).toBe(200);
    });
  });

  it('replaces a worker killed with SIGKILL under load; only its in-flight requests may fail', async () => {
    const logs: string[] = [];
    const container = await start({ workers: 2, logs });
    const victim = container.stats().workers[0]!;
    const concurrency = 8;
    const stop = (async () => {
      await sleep(300);
      process.kill(victim.pid!, 'SIGKILL');
      await waitFor(() => container.stats().workers.some((w) => w.slot === victim.slot && w.pid !== victim.pid && w.state === 'ready'));
      await sleep(300);
    })();
    const result = await load(new URL('/slow?ms=5', container.url).href, concurrency, stop);
    expect(result.ok).toBeGreaterThan(50);
    // At most one request per load loop can have been on the killed worker.
    expect(result.errors.length).toBeLessThanOrEqual(concurrency);
    expect(result.statuses).toEqual({});
    const replaced = container.stats().workers.find((w) => w.slot === victim.slot)!;
    expect(replaced.pid).not.toBe(victim.pid);
    expect(replaced.restarts).toBe(1);
    expect(logs.join('\n')).toMatch(new RegExp(`worker ${victim.slot} \\(pid ${victim.pid}\\) was killed by SIGKILL`));
  });
});

describe('crashes', () => {
  it('backs off while a worker keeps crashing soon after it starts', async () => {
    const logs: string[] = [];
    const file = join(dir, 'crashy.ts');
    // Late enough that the worker is surely ready (and adopted) first.
    writeFileSync(file, 'setTimeout(() => process.exit(7), 300);\nexport default { fetch: () => new Response("x") };\n');
    const container = await start({ app: file, workers: 1, logs });
    await waitFor(() => container.stats().restarts >= 4);
    expect(container.stats().restarts).toBeGreaterThanOrEqual(4);
    const delays = logs.filter((line) => line.includes('exited with code 7')).map((line) => / in (\d+) ms$/.exec(line)?.[1] ?? '0');
    expect(delays.slice(0, 4)).toEqual(['0', '100', '200', '400']);
  });
});

describe('races', () => {
  it('closes even when a worker is stuck in a CPU loop', async () => {
    await withSpinLog(async (spinning) => {
      const container = await start({ workers: 1, timeout: 800, gracefulTimeout: 1_000 });
      const spin = fetch(new URL('/spin', container.url)).catch(() => 'cut');
      // The worker has the request and spins: only now is a cut the close's doing.
      await spinning();
      await container.close();
      expect(await spin).toBe('cut');
      expect(container.stats().workers).toEqual([]);
    });
  });

  it('refills a slot whose respawn was pending when a reload failed', async () => {
    const container = await start({ workers: 2 });
    const victim = container.stats().workers[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(() => container.stats().workers.some((w) => w.slot === 1 && w.state === 'ready' && w.pid !== victim.pid));
    // Killed again soon after its start: its next start waits (backoff).
    process.kill(container.stats().workers.find((w) => w.slot === 1)!.pid!, 'SIGKILL');
    await waitFor(() => container.stats().workers.length === 1);
    writeFileSync(appFile, 'export default { notFetch: 1 }\n');
    await expect(container.reload()).rejects.toThrow(/reload failed/);
    writeApp('v1');
    await waitFor(() => container.stats().workers.filter((w) => w.state === 'ready').length === 2);
    expect(container.stats().workers.map((w) => [w.slot, w.state])).toEqual([
      [1, 'ready'],
      [2, 'ready'],
    ]);
  });

  it('recycling and a reload at once end with one worker, on the new code', async () => {
    const container = await start({ workers: 1, maxRequests: 5 });
    for (let i = 0; i < 5; i++) await text(container.url);
    writeApp('v2');
    await container.reload();
    // The retired worker drains on its own time (its kept-alive connection may
    // still carry a request): once it and the others before the reload have exited,
    // only the new code can answer.
    const settled = (): unknown[] => container.stats().workers.map((w) => [w.slot, w.state, w.generation]);
    await waitFor(() => JSON.stringify(settled()) === JSON.stringify([[1, 'ready', 1]]));
    expect(settled()).toEqual([[1, 'ready', 1]]);
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) bodies.add((await text(container.url)).split(' ')[0]!);
    expect(bodies).toEqual(new Set(['v2']));
    // Those requests recycle it again (maxRequests): once that is done, one worker again.
    await waitFor(() => container.stats().workers.length === 1);
    expect(settled()).toEqual([[1, 'ready', 1]]);
  });
});

describe('graceful stop', () => {
  it('lets in-flight requests finish when the container closes', async () => {
    writeApp('v1');
    const held = holdingApp();
    // Heartbeats far apart: the figures read below are the worker's answer to the question.
    const container = await start({ app: held.app, workers: 2, timeout: 60_000, heartbeatInterval: 30_000 });
    try {
      const slow = fetch(new URL('/held', container.url)).then(
        async (response) => [response.status, await response.text()],
        (error: unknown) => [undefined, String(error)],
      );
      const pid = await held.arrival();
      const closed = container.close();
      await stoppingWithRequest(container, pid);
      held.release();
      expect(await slow).toEqual([200, `v1 ${pid}`]);
      await closed;
      await expect(fetch(container.url)).rejects.toThrow('fetch failed');
    } finally {
      held.release();
    }
  });
});

describe('graceful reload', () => {
  // Ten workers start in turn: on a loaded machine each start can take seconds, past the usual 30 s.
  it('reloads five times under load with zero failures, and the new workers run the new code', { timeout: 90_000 }, async () => {
    const container = await start({ workers: 2 });
    const reloads = (async () => {
      for (let version = 2; version <= 6; version++) {
        await sleep(150);
        writeApp(`v${version}`);
        await container.reload();
      }
      await sleep(150);
    })();
    const result = await load(new URL('/slow?ms=10', container.url).href, 8, reloads);
    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual({});
    expect(result.ok).toBeGreaterThan(100);
    const versions = new Set([...result.bodies.keys()].map((body) => body.split(' ')[0]));
    expect(versions).toEqual(new Set(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']));
    expect((await text(container.url)).split(' ')[0]).toBe('v6');
    expect(container.stats()).toMatchObject({ reloads: 5, restarts: 0 });
  });

  it('lets a long request finish on the old worker during a reload', async () => {
    writeApp('v1');
    const held = holdingApp();
    // Heartbeats far apart: the figures read below are the worker's answer to the question.
    const container = await start({ app: held.app, workers: 1, timeout: 60_000, heartbeatInterval: 30_000 });
    try {
      const long = fetch(new URL('/held', container.url)).then(
        (response) => response.text(),
        (error: unknown) => String(error),
      );
      const pid = await held.arrival();
      writeApp('v2');
      // It ends once the old worker has exited, so only after the release.
      const reloaded = container.reload();
      await stoppingWithRequest(container, pid);
      held.release();
      expect(await long).toBe(`v1 ${pid}`);
      await reloaded;
      expect((await text(container.url)).split(' ')[0]).toBe('v2');
    } finally {
      held.release();
    }
  });

  it('keeps the running workers when the new code fails to start', async () => {
    const logs: string[] = [];
    const container = await start({ workers: 2, logs });
    writeFileSync(appFile, 'export default { notFetch: 1 }\n');
    await expect(container.reload()).rejects.toThrow(/reload failed: .*has no App/);
    expect((await text(container.url)).split(' ')[0]).toBe('v1');
    expect(container.stats().workers.filter((w) => w.state === 'ready')).toHaveLength(2);
  });

  it('closes while new workers are still starting, and the change waiting on them fails', async () => {
    const container = await start({ workers: 1 });
    // New code that takes far longer to load than the test may run.
    writeFileSync(appFile, `await new Promise((resolve) => setTimeout(resolve, 60_000));\n${readFileSync(FIXTURE, 'utf8')}`);
    const reload = container.reload();
    reload.catch(() => {});
    await waitFor(() => container.stats().workers.some((w) => w.state === 'starting'));
    expect(container.stats().workers.map((w) => w.state).sort()).toEqual(['ready', 'starting']);
    const closed = await Promise.race([
      container.close().then(() => 'closed'),
      sleep(10_000).then(() => 'still closing after 10 s'),
    ]);
    expect(closed).toBe('closed');
    await expect(reload).rejects.toThrow(/before it was ready/);
  });
});

describe('timeouts', () => {
  it('answers 504 past the timeout and aborts the request signal with a TimeoutError', async () => {
    const container = await start({ workers: 1, timeout: 500 });
    const response = await fetch(new URL('/hang?id=a', container.url));
    expect(response.status).toBe(504);
    expect(await response.text()).toMatch(/did not answer within 500 ms/);
    expect(await text(new URL('/reason?id=a', container.url).href)).toBe('TimeoutError');
  });

  it('cuts only the connections of the worker it kills for a CPU loop: the other workers answer, the stuck request gets no status', async () => {
    await withSpinLog(async (spinning) => {
      const container = await start({ workers: 2, timeout: 800 });
      const spin = plainGet(new URL('/spin', container.url));
      // The request is on a worker, which now answers nothing until it is killed.
      const stuck = await spinning();
      // New connections go to the worker that still accepts them, while the other spins and is replaced.
      const others = await Promise.all(Array.from({ length: 20 }, () => plainGet(new URL('/', container.url))));
      expect(others.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(others.every((answer) => !answer.body.endsWith(` ${stuck}`))).toBe(true);
      // Its socket belonged to the killed worker: the connection is cut, no 504 can be written on it.
      expect(await spin).toMatchObject({ status: undefined, error: expect.stringMatching(/socket hang up|ECONNRESET/) });
      // Killed past the timeout, and replaced.
      await waitFor(() => {
        const workers = container.stats().workers;
        return workers.every((w) => w.pid !== stuck) && workers.filter((w) => w.state === 'ready').length === 2;
      });
      expect(container.stats().restarts).toBe(1);
    });
  });

  it('kills a worker stuck in a CPU loop and replaces it', async () => {
    const logs: string[] = [];
    const container = await start({ workers: 1, timeout: 800, logs });
    const [before] = container.stats().workers;
    await expect(fetch(new URL('/spin', container.url))).rejects.toThrow('fetch failed');
    await waitFor(() => container.stats().workers.some((w) => w.state === 'ready' && w.pid !== before!.pid));
    expect((await fetch(container.url)).status).toBe(200);
    expect(container.stats()).toMatchObject({ restarts: 1, workers: [{ slot: 1, restarts: 1 }] });
    expect(logs.join('\n')).toMatch(/event loop was blocked for more than 800 ms/);
  });
});

describe('recycling', () => {
  it('retires a worker after maxRequests without dropping a request', async () => {
    const container = await start({ workers: 1, maxRequests: 25, maxRequestsJitter: 5 });
    const enough = waitFor(() => container.stats().retired >= 3, 20_000);
    const result = await load(new URL('/slow?ms=2', container.url).href, 4, enough);
    expect(result.errors).toEqual([]);
    expect(result.statuses).toEqual({});
    expect(container.stats().retired).toBeGreaterThanOrEqual(3);
    expect(new Set([...result.bodies.keys()].map((body) => body.split(' ')[1])).size).toBeGreaterThanOrEqual(3);
    expect(container.stats().restarts).toBe(0);
  });
});

describe('idle scaling', () => {
  it('adds workers under load and retires them when idle', async () => {
    const logs: string[] = [];
    const container = await start({ workers: 2, minWorkers: 1, idleTimeout: 600, heartbeatInterval: 100, logs });
    expect(container.stats().workers).toHaveLength(1);
    const grown = waitFor(() => container.stats().workers.filter((w) => w.state === 'ready').length === 2);
    const result = await load(new URL('/slow?ms=20', container.url).href, 8, grown);
    expect(result.errors).toEqual([]);
    expect(container.stats().workers.filter((w) => w.state === 'ready')).toHaveLength(2);
    await waitFor(() => container.stats().workers.length === 1);
    expect(container.stats().workers).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/busy: added worker 2[^]*idle: retiring worker 2/);
  });
});

describe('scheduled tasks', () => {
  it('runs scheduled() on the crons, one worker at a time, waiting for waitUntil', async () => {
    const log = join(dir, 'schedule.log');
    rmSync(log, { force: true });
    process.env.SCHEDULE_LOG = log;
    process.env.SCHEDULE_MS = '100';
    try {
      const container = await start({ workers: 2, crons: ['* * * * * *'] });
      await waitFor(() => container.stats().scheduled.runs >= 3);
      await sleep(300);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const starts = lines.filter((line) => line.startsWith('start * * * * * *'));
      expect(starts.length).toBeGreaterThanOrEqual(3);
      // Each run's waitUntil work ended before the next run of the cron started.
      for (let i = 0; i + 1 < lines.length; i += 2) {
        expect([lines[i]!.replace(/^start/, ''), lines[i + 1]!.startsWith('end')]).toEqual([lines[i + 1]!.replace(/^end/, ''), true]);
      }
      // scheduledTime is a whole second near now.
      const time = Number(starts[0]!.split(' ')[7]);
      expect(time % 1000).toBe(0);
      expect(Math.abs(Date.now() - time)).toBeLessThan(10_000);
      expect(container.stats().scheduled.failures).toBe(0);
    } finally {
      delete process.env.SCHEDULE_LOG;
      delete process.env.SCHEDULE_MS;
    }
  });

  it('skips and logs a run while the previous one still goes', async () => {
    const log = join(dir, 'overlap.log');
    rmSync(log, { force: true });
    process.env.SCHEDULE_LOG = log;
    process.env.SCHEDULE_MS = '2500';
    const logs: string[] = [];
    try {
      const container = await start({ workers: 2, crons: ['* * * * * *'], logs });
      await waitFor(() => container.stats().scheduled.skipped >= 2);
      expect(container.stats().scheduled.skipped).toBeGreaterThanOrEqual(2);
      expect(logs.join('\n')).toMatch(/cron "\* \* \* \* \* \*": the previous run is still going, this one is skipped/);
      const starts = readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('start'));
      expect(starts).toHaveLength(1);
    } finally {
      delete process.env.SCHEDULE_LOG;
      delete process.env.SCHEDULE_MS;
    }
  });
});

describe('bad configuration', () => {
  it('names an App file that does not exist', async () => {
    await expect(startContainer({ app: join(dir, 'missing.ts'), port: 0 })).rejects.toThrow(
      new ContainerError(`the App file ${join(dir, 'missing.ts')} does not exist`),
    );
  });

  it('names a module without an App and what it exports instead', async () => {
    const file = join(dir, 'not-an-app.ts');
    writeFileSync(file, 'export const handler = () => 1;\n');
    await expect(startContainer({ app: file, workers: 2, port: 0, log: () => {} })).rejects.toThrow(
      /not-an-app\.ts has no App: .*it exports handler/,
    );
  });

  it('says where an App has a syntax error: file, line and column, in the App or in a module it imports', async () => {
    const at = (file: string, line: number): string => `${escapeRegExp(file)}:${line}:\\d+: `;
    const ts = join(dir, 'syntax.ts');
    writeFileSync(ts, 'const a = 1;\n\nexport default {\n  fetch() { return new Response(String(a)) )\n};\n');
    await expect(startContainer({ app: ts, workers: 1, port: 0, log: () => {} })).rejects.toThrow(
      new RegExp(`^could not load the App: ${at(ts, 4)}Expected ';', got '\\)'$`),
    );
    const lib = join(dir, 'broken-lib.ts');
    writeFileSync(lib, 'export const x: number = ;\n');
    const importer = join(dir, 'imports-broken.ts');
    writeFileSync(importer, 'import { x } from "./broken-lib.ts";\nexport default { fetch: () => new Response(String(x)) };\n');
    await expect(startContainer({ app: importer, workers: 1, port: 0, log: () => {} })).rejects.toThrow(
      new RegExp(`^could not load the App from ${escapeRegExp(importer)}: ${at(lib, 1)}Expression expected$`),
    );
    // JavaScript: V8 keeps the place out of the error's message and stack.
    const js = join(dir, 'syntax.mjs');
    writeFileSync(js, 'export default {\n  fetch() { return new Response("x") )\n};\n');
    await expect(startContainer({ app: js, workers: 1, port: 0, log: () => {} })).rejects.toThrow(
      new RegExp(`^could not load the App: ${at(js, 2)}Unexpected token '\\)'$`),
    );
  });

  it('says the port is in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      copyFileSync(FIXTURE, appFile);
      await expect(startContainer({ app: appFile, workers: 1, port, log: () => {} })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      blocker.close();
    }
  });

  it('refuses a bad cron expression, crons without scheduled(), and impossible counts', async () => {
    copyFileSync(FIXTURE, appFile);
    // What the README says, not what croner accepts (7 fields, with a year).
    for (const cron of ['every minute', '0 0 12 1 1 * 2030', '', '@sometimes']) {
      await expect(startContainer({ app: appFile, port: 0, crons: [cron] })).rejects.toThrow(
        new ContainerError(`"${cron}" is not a cron expression: a cron expression has 5 fields, or 6 with seconds first`),
      );
    }
    await expect(startContainer({ app: appFile, port: 0, crons: ['61 * * * *'] })).rejects.toThrow(
      new ContainerError('"61 * * * *" is not a cron expression: invalid value for minute: 61'),
    );
    await expect(startContainer({ app: appFile, port: 0, crons: ['0 0 1 1 * 2030'] })).rejects.toThrow(
      new ContainerError('"0 0 1 1 * 2030" is not a cron expression: invalid value for dayOfWeek: 2030 (with 6 fields, the first is the seconds)'),
    );
    await expect(startContainer({ app: appFile, port: 0, workers: 0 })).rejects.toThrow(/workers must be a whole number/);
    await expect(startContainer({ app: appFile, port: 0, workers: 1, minWorkers: 2 })).rejects.toThrow(/minWorkers \(2\) is more than workers \(1\)/);
    const file = join(dir, 'fetch-only.ts');
    writeFileSync(file, 'export default { fetch: () => new Response("x") };\n');
    await expect(startContainer({ app: file, port: 0, workers: 1, crons: ['* * * * *'], log: () => {} })).rejects.toThrow(
      /crons are configured, but the App .* has no scheduled/,
    );
  });
});

describe('a failed start leaves nothing behind', () => {
  const CONTAINER = new URL('./index.ts', import.meta.url).href;
  // Calls startContainer with the options in argv[2], prints how it ended,
  // and returns: the process must then exit by itself.
  const SCRIPT = `
import { existsSync } from 'node:fs';
import { ContainerError, startContainer } from '${CONTAINER}';
const { abortOnFile, ...options } = JSON.parse(process.argv[2]);
const controller = new AbortController();
if (abortOnFile !== undefined) {
  const poll = setInterval(() => {
    if (!existsSync(abortOnFile)) return;
    clearInterval(poll);
    controller.abort();
  }, 20);
}
try {
  await startContainer({ ...options, signal: controller.signal, log: () => {} });
  console.log('started');
} catch (error) {
  console.log(error instanceof ContainerError ? 'ContainerError: ' + error.message : 'not a ContainerError: ' + error);
}
`;

  /** Runs SCRIPT; resolves with what it printed once it exits, or says it still runs after 5 s. */
  function child(options: Record<string, unknown>): Promise<string> {
    const script = join(dir, 'start-and-return.mjs');
    writeFileSync(script, SCRIPT);
    const proc = spawn(process.execPath, ['--conditions=@gatehouse/source', script, JSON.stringify(options)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve(`${out}still running after 5000 ms`);
      }, 5_000);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        resolve(`${out}exit ${code}`);
      });
    });
  }

  const CRONS = { crons: ['*/5 * * * *'] };

  it.each([[{}], [CRONS]])('a missing App file %j', async (extra) => {
    expect(await child({ app: join(dir, 'missing.ts'), port: 0, ...extra })).toMatch(/^ContainerError: the App file \S+ does not exist\nexit 0$/);
  });

  it.each([[{}], [CRONS]])('an App that throws while it loads %j', async (extra) => {
    const file = join(dir, 'throws.ts');
    writeFileSync(file, 'throw new Error("no database URL");\nexport default {};\n');
    expect(await child({ app: file, port: 0, workers: 2, ...extra })).toMatch(/^ContainerError: could not load the App from \S+: no database URL\nexit 0$/);
  });

  it('crons for an App without scheduled()', async () => {
    const file = join(dir, 'fetch-only.ts');
    writeFileSync(file, 'export default { fetch: () => new Response("x") };\n');
    expect(await child({ app: file, port: 0, workers: 2, ...CRONS })).toMatch(/^ContainerError: crons are configured.*\nexit 0$/);
  });

  it.each([[{}], [CRONS]])('a port in use %j', async (extra) => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      copyFileSync(FIXTURE, appFile);
      expect(await child({ app: appFile, port, workers: 2, ...extra })).toMatch(/^ContainerError: port \d+ on 127.0.0.1 is already in use\nexit 0$/);
    } finally {
      blocker.close();
    }
  });

  it('a start aborted while the App loads', async () => {
    const pids = join(dir, 'loading');
    rmSync(pids, { force: true });
    writeSlowApp(pids);
    expect(await child({ app: appFile, port: 0, workers: 2, abortOnFile: pids, ...CRONS })).toMatch(/^ContainerError: the start was aborted\nexit 0$/);
    expect(loadingPids(pids).filter(isAlive)).toEqual([]);
  });
});

/** An App that takes longer to load than any test runs; each worker loading it appends its pid to `pids`. */
function writeSlowApp(pids: string): void {
  writeFileSync(
    appFile,
    `import { appendFileSync as recordPid } from 'node:fs';\nrecordPid(${JSON.stringify(pids)}, process.pid + '\\n');\n` +
      `await new Promise((resolve) => setTimeout(resolve, 120_000));\n${readFileSync(FIXTURE, 'utf8')}`,
  );
}

function loadingPids(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}


describe('aborting a start', () => {
  it('stops the workers still starting and rejects', async () => {
    const pids = join(dir, 'loading');
    rmSync(pids, { force: true });
    writeSlowApp(pids);
    const controller = new AbortController();
    const started = startContainer({ app: appFile, workers: 2, port: 0, log: () => {}, signal: controller.signal });
    started.catch(() => {});
    await waitFor(() => loadingPids(pids).length > 0);
    expect(loadingPids(pids)).toHaveLength(1);
    controller.abort();
    await expect(started).rejects.toThrow(new ContainerError('the start was aborted'));
    expect(loadingPids(pids).filter(isAlive)).toEqual([]);
  });

  it('rejects at once with a signal already aborted', async () => {
    copyFileSync(FIXTURE, appFile);
    await expect(startContainer({ app: appFile, port: 0, signal: AbortSignal.abort() })).rejects.toThrow(
      new ContainerError('the start was aborted'),
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One GET on a connection of its own (no pool: a kept-alive connection would stay with one worker). */
function plainGet(url: URL): Promise<{ status: number | undefined; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (error) => resolve({ status: undefined, body, error: error.message }));
    });
    req.on('error', (error) => resolve({ status: undefined, body: '', error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` }));
  });
}
