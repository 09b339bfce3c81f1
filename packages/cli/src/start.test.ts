import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAlive } from '@gatehouse/test-support/processes';

vi.setConfig({ testTimeout: 30_000 });

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const APP = `
import { appendFileSync } from 'node:fs';
export default {
  fetch: () => new Response(\`\${process.env.VERSION ?? 'v1'} \${process.pid}\`),
  scheduled(controller) {
    if (process.env.SCHEDULE_LOG) appendFileSync(process.env.SCHEDULE_LOG, controller.cron + '\\n');
  },
};
`;

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  writeFileSync(join(dir, 'app.ts'), APP);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Run {
  child: ChildProcess;
  /** Everything written to standard error so far. */
  stderr: () => string;
  /** Resolves with the first match of `pattern` in standard error. */
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters.slice()) {
      const match = stderr.match(waiter.pattern);
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const match = stderr.match(pattern);
        if (match !== null) return resolve(match);
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`exited with ${code} before ${pattern}:\n${stderr}`)));
      }),
  };
}

async function pids(url: string, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const response = await fetch(url, { headers: { connection: 'close' } });
    seen.add((await response.text()).split(' ')[1]!);
  }
  return seen;
}

describe('gatehouse start', () => {
  it('serves with N workers, reloads on SIGHUP, prints stats on SIGUSR2, stops on SIGTERM', async () => {
    const server = run(['start', 'app.ts', '--workers', '2', '--port', '0', '--graceful-timeout', '5']);
    const [, url] = await server.waitFor(/serving app\.ts on (http:\/\/\S+) with 2 worker\(s\)/);
    const before = await pids(url!, 12);
    expect(before.size).toBeGreaterThanOrEqual(1);

    server.child.kill('SIGHUP');
    await server.waitFor(/reload: 2 new worker\(s\) serving[^]*reloaded: the old workers have exited/);
    const after = await pids(url!, 12);
    expect([...after].filter((pid) => before.has(pid))).toEqual([]);

    server.child.kill('SIGUSR2');
    const [table] = await server.waitFor(/worker +pid +state[^]*?primary \d+ · requests \d+ · restarts 0 · reloads 1[^\n]*/);
    expect(table.split('\n').filter((line) => /^\d+ +\d+ +ready/.test(line))).toHaveLength(2);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM: stopping gracefully[^]*stopped/);
    await expect(fetch(url!)).rejects.toThrow('fetch failed');
  });

  it('takes its settings from gatehouse.config.ts, the command line winning', async () => {
    const log = join(dir, 'cron.log');
    writeFileSync(
      join(dir, 'gatehouse.config.ts'),
      `export default { start: { app: './app.ts', workers: 2, crons: ['* * * * * *'] } };\n`,
    );
    try {
      const server = run(['start', '--workers', '1', '--port', '0'], { SCHEDULE_LOG: log });
      await server.waitFor(/serving \S+app\.ts on http:\/\/\S+ with 1 worker\(s\)/);
      await expect.poll(() => readFileSync(log, 'utf8').split('\n').length, { timeout: 5_000 }).toBeGreaterThan(2);
      expect(readFileSync(log, 'utf8').split('\n')[0]).toBe('* * * * * *');
      server.child.kill('SIGINT');
      expect(await server.exited).toBe(0);
    } finally {
      rmSync(join(dir, 'gatehouse.config.ts'));
      rmSync(log, { force: true });
    }
  });

  it('takes its workers along when the primary is killed', async () => {
    const server = run(['start', 'app.ts', '-w', '2', '-p', '0']);
    const [, url] = await server.waitFor(/on (http:\/\/\S+) with/);
    const workers = (readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8')).trim().split(/\s+/).map(Number);
    expect(workers).toHaveLength(2);
    server.child.kill('SIGKILL');
    await server.exited;
    await expect.poll(() => workers.filter(isAlive), { timeout: 5_000 }).toEqual([]);
    await expect(fetch(url!)).rejects.toThrow('fetch failed');
  });

  it('prints current stats on SIGUSR2: the requests answered just before are in them', async () => {
    const server = run(['start', 'app.ts', '-w', '1', '-p', '0']);
    const [, url] = await server.waitFor(/on (http:\/\/\S+) with/);
    // Right after a heartbeat, the next is a second away.
    for (let i = 0; i < 3; i++) await (await fetch(url!)).text();
    server.child.kill('SIGUSR2');
    const [table] = await server.waitFor(/worker +pid +state[^]*?primary \d+ · requests \d+[^\n]*/);
    expect(table.split('\n')[1]).toMatch(/^1 +\d+ +ready +0 +3 +0 /);
    expect(table).toMatch(/primary \d+ · requests 3 /);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('prints stats on an interval with --stats', async () => {
    const server = run(['start', 'app.ts', '-w', '1', '-p', '0', '--stats', '--stats-interval', '0.2']);
    const [, url] = await server.waitFor(/on (http:\/\/\S+) with/);
    await fetch(url!);
    await server.waitFor(/primary \d+ · requests [1-9]/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('gatehouse --version', () => {
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  it.each(['--version', '-v'])('%s prints the version of @gatehouse/cli', async (flag) => {
    const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, flag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect([code, out]).toEqual([0, `${version}\n`]);
  });
});

/**
 * How long a failed start may take to end the process: a hang never ends
 * it. Well above what a loaded machine needs to start Node and load the App
 * (5 s was not, with both cores busy), below the test's 30 s.
 */
const EXIT_BOUND = 20_000;

/** The exit code, or a sentence saying the process still runs after `ms`. */
function exitedWithin(server: Run, ms = EXIT_BOUND): Promise<number | null | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(resolve, ms, `still running after ${ms} ms`)));
  return Promise.race([server.exited, late]).finally(() => clearTimeout(timer));
}

describe('bad configuration is one clear line, no stack', () => {
  const expectFailure = async (args: string[], message: RegExp, code = 1): Promise<void> => {
    const server = run(args);
    expect(await exitedWithin(server)).toBe(code);
    expect(server.stderr()).toMatch(message);
    expect(server.stderr()).not.toMatch(/^\s+at /m);
  };

  it('an App file that does not exist', () => expectFailure(['start', 'nope.ts', '-p', '0'], /^gatehouse: the App file \S+nope\.ts does not exist\n$/));

  it('a module without fetch', async () => {
    writeFileSync(join(dir, 'bad.ts'), 'export const notAnApp = 1;\n');
    await expectFailure(['start', 'bad.ts', '-p', '0', '-w', '1'], /gatehouse: \S+bad\.ts has no App: .*it exports notAnApp\n$/);
  });

  it('a module that throws while loading', async () => {
    writeFileSync(join(dir, 'throws.ts'), 'throw new Error("no database URL");\nexport default {};\n');
    await expectFailure(['start', 'throws.ts', '-p', '0', '-w', '1'], /gatehouse: could not load the App from \S+throws\.ts: no database URL\n$/);
  });

  it('a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await expectFailure(['start', 'app.ts', '-p', String(port), '-w', '2'], new RegExp(`gatehouse: port ${port} on 127.0.0.1 is already in use\\n$`));
    } finally {
      blocker.close();
    }
  });

  it('an App with a syntax error: its file, line and column', async () => {
    writeFileSync(join(dir, 'syntax.ts'), 'const a = 1;\n\nexport default {\n  fetch() { return new Response(String(a)) )\n};\n');
    await expectFailure(['start', 'syntax.ts', '-p', '0', '-w', '1'], /^gatehouse: could not load the App: \S+\/syntax\.ts:4:\d+: Expected ';', got '\)'\n$/);
  });

  it('bad values', async () => {
    await expectFailure(['start', 'app.ts', '--timeout', '0'], /--timeout wants a number of seconds above 0/, 2);
    await expectFailure(['start', 'app.ts', '--cron', 'sometimes', '-p', '0'], /^gatehouse: "sometimes" is not a cron expression: a cron expression has 5 fields, or 6 with seconds first\n$/);
    await expectFailure(['start'], /gatehouse start: which App\?/, 2);
    await expectFailure(['start', 'app.ts', '-w', '1', '-p', '0', '--host', 'no-such-host.invalid'], /^gatehouse: .*no-such-host\.invalid.*\n$/);
  });

  // One line saying what is wrong, named as typed, then where to look.
  const HINT = 'Run "gatehouse start --help" for the options.\n';
  it.each([
    [['--wokers', '2'], 'unknown option --wokers (did you mean --workers?)'],
    [['--wrokers=2'], 'unknown option --wrokers (did you mean --workers?)'],
    [['--max-request', '9'], 'unknown option --max-request (did you mean --max-requests?)'],
    [['-W', '2'], 'unknown option -W (did you mean -w?)'],
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['-x'], 'unknown option -x'],
    [['--workers'], '--workers needs a value'],
    [['-w'], '-w needs a value'],
    [['--workers', '--port', '0'], '--workers needs a value'],
    [['--stats=yes'], '--stats takes no value'],
    [['-w', 'two'], '-w wants a whole number of at least 1, not "two"'],
    [['-workers', '2'], 'unknown option -workers (did you mean --workers?)'],
    [['--workers', '0'], '--workers wants a whole number of at least 1, not "0"'],
    [['--max-requests', '-1'], '--max-requests wants a whole number, not "-1"'],
    [['--max-rss', '0'], '--max-rss wants a whole number of at least 1, not "0"'],
    [['-t', 'soon'], '-t wants a number of seconds above 0, not "soon"'],
    [['-p', '70000'], '-p wants a port number (0 to 65535), not "70000"'],
    [['--min-workers', '3', '-w', '2'], '--min-workers (3) is more than -w (2)'],
    [['app.ts'], 'start takes one App, not 2: app.ts app.ts'],
    [['--readiness', 'ready'], '--readiness wants a path starting with "/", not "ready"'],
    [['--trust-proxy', 'some'], '--trust-proxy wants true, false or a hop count, not "some"'],
  ])('%j', (flags, message) => expectFailure(['start', 'app.ts', ...flags], new RegExp(`^${escapeRegExp(`gatehouse start: ${message}\n${HINT}`)}$`), 2));

  it('an unknown command', async () => {
    await expectFailure(['launch'], /^gatehouse: unknown command "launch"\nRun "gatehouse --help" for the commands and options\.\n$/, 2);
    await expectFailure(['strat', 'app.ts'], /^gatehouse: unknown command "strat" \(did you mean start\?\)\n/, 2);
    await expectFailure(['--verison'], /^gatehouse: unknown option --verison \(did you mean --version\?\)\n/, 2);
  });
});

describe('a failed start exits with code 1 at once, crons or not', () => {
  const CRON = ['--cron', '*/5 * * * *'];
  const expectExit = async (args: string[], message: RegExp): Promise<void> => {
    const server = run(args);
    expect(await exitedWithin(server)).toBe(1);
    // One line: nothing logged after the error either.
    expect(server.stderr()).toMatch(message);
    expect(server.stderr().split('\n')).toHaveLength(2);
  };

  it.each([[[]], [CRON]])('an App file that does not exist %j', (extra) =>
    expectExit(['start', 'nope.ts', '-p', '0', ...extra], /^gatehouse: the App file \S+nope\.ts does not exist\n$/));

  it.each([[[]], [CRON]])('a module that throws while loading %j', async (extra) => {
    writeFileSync(join(dir, 'throws.ts'), 'throw new Error("no database URL");\nexport default {};\n');
    await expectExit(['start', 'throws.ts', '-p', '0', '-w', '1', ...extra], /^gatehouse: could not load the App from \S+throws\.ts: no database URL\n$/);
  });

  it.each([[[]], [CRON]])('a port in use %j', async (extra) => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await expectExit(['start', 'app.ts', '-p', String(port), '-w', '2', ...extra], new RegExp(`^gatehouse: port ${port} on 127\\.0\\.0\\.1 is already in use\\n$`));
    } finally {
      blocker.close();
    }
  });

  it('crons for an App without scheduled()', async () => {
    writeFileSync(join(dir, 'fetch-only.ts'), 'export default { fetch: () => new Response("x") };\n');
    await expectExit(['start', 'fetch-only.ts', '-p', '0', '-w', '2', ...CRON], /^gatehouse: crons are configured, but the App in \S+fetch-only\.ts has no scheduled/);
  });

  it('a signal after a failed start ends the process, even when something else keeps it alive', async () => {
    // A config that holds the event loop open, as one opening a connection pool would.
    writeFileSync(join(dir, 'busy.config.ts'), 'setInterval(() => {}, 1_000);\nexport default { start: {} };\n');
    const server = run(['start', 'nope.ts', '-p', '0', '-c', 'busy.config.ts', ...CRON]);
    await server.waitFor(/gatehouse: the App file \S+ does not exist\n/);
    server.child.kill('SIGTERM');
    expect(await exitedWithin(server)).toBe(null);
    expect(server.child.signalCode).toBe('SIGTERM');
  });
});

describe('a signal while the App is still starting', () => {
  const SLOW = `
console.error('loading in ' + process.pid);
// Loads for longer than any test runs.
await new Promise((resolve) => setTimeout(resolve, 120_000));
export default { fetch: () => new Response('x'), scheduled() {} };
`;

  it.each([
    ['SIGTERM', ['--cron', '*/5 * * * *']],
    ['SIGINT', []],
  ] as const)('%s stops the start and ends the process %j', async (signal, extra) => {
    writeFileSync(join(dir, 'slow.ts'), SLOW);
    const server = run(['start', 'slow.ts', '-p', '0', '-w', '1', ...extra]);
    const [, pid] = await server.waitFor(/loading in (\d+)/);
    server.child.kill(signal);
    expect(await exitedWithin(server)).toBe(0);
    expect(server.stderr()).toMatch(new RegExp(`${signal}: stopping[^]*stopped\n$`));
    expect(isAlive(Number(pid))).toBe(false);
  });
});
