// `gatehouse dev` on a real two-tier project (test/dev-project): the edge in
// workerd through wrangler, the origin in the container, over real sockets.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { descendants, survivors } from '@gatehouse/test-support/processes';
import { freePort } from '@gatehouse/test-support/sockets';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/dev-project', import.meta.url));
// Inside the package, not the system's temp folder: the project resolves @gatehouse/* and wrangler from this repository's node_modules.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

interface Dev {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in stdout and stderr together, from `from` on. */
  waitFor: (pattern: RegExp, from?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function startDev(cwd: string, args: string[] = [], env: Record<string, string> = {}): Dev {
  const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, 'dev', ...args], {
    cwd,
    // Offline, wrangler would wait 3 s per start for request.cf's data.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const take = (chunk: string): void => {
    output += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', take);
  child.stderr!.setEncoding('utf8').on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.slice(from).match(pattern);
          if (match !== null) {
            waiters.delete(check);
            resolve(match);
          }
        };
        waiters.add(check);
        check();
        void exited.then((code) => {
          if (waiters.delete(check)) reject(new Error(`dev exited (${code}) before ${pattern}:\n${output}`));
        });
      }),
  };
}



/** Ask until `check` passes: a reload takes as long as it takes, and the test's timeout bounds it. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      return await check();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const projects: string[] = [];
function newProject(): string {
  const dir = mkdtempSync(join(PACKAGE, '.dev-test-'));
  cpSync(FIXTURE, dir, { recursive: true });
  projects.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe('gatehouse dev', () => {
  let project: string;
  let dev: Dev;
  let edge: string;
  let processes: number[];
  let edgePort: number;

  beforeAll(async () => {
    project = newProject();
    const port = await freePort();
    dev = startDev(project, [], { EDGE_PORT: String(port) });
    // The last line of the block that says where everything is.
    await dev.waitFor(/ready in \d+\.\d s/);
    edge = (await dev.waitFor(/➜ edge\s+(\S+)/))[1]!;
    edgePort = port;
  });

  it('prints each tier by name, and the URLs once everything answers', async () => {
    expect(edge).toBe(`http://127.0.0.1:${edgePort}/`);
    expect(dev.output()).toMatch(/^api \s*│ serving \S+app\.ts on http:\/\/127\.0\.0\.1:\d+\/ with 1 worker/m);
    expect(dev.output()).toMatch(/➜ api\s+http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('serves public/ from the edge in workerd, through the assets binding', async () => {
    const response = await fetch(edge);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<p id="page">from public/</p>');
  });

  it("proxies /api/ to the origin, whose URL the edge got in its ORIGIN var (wrangler.toml's points nowhere)", async () => {
    const response = await fetch(new URL('/api/hello', edge));
    expect(await response.json()).toEqual({ greeting: 'hello', path: '/api/hello' });
  });

  it("reloads the origin when a file it imports changes, and not the edge", async () => {
    const from = dev.output().length;
    writeFileSync(join(project, 'src/greeting.ts'), "export const greeting = 'hello again';\n");
    await dev.waitFor(/api\s*│ src\/greeting\.ts changed: reloading/, from);
    await eventually(async () => {
      expect(await (await fetch(new URL('/api/x', edge))).json()).toEqual({ greeting: 'hello again', path: '/api/x' });
    });
    expect(dev.output().slice(from)).not.toMatch(/edge\s*│/);
  });

  it('reloads the edge when its code changes, and not the origin', async () => {
    const from = dev.output().length;
    const file = join(project, 'src/edge.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("'/api/': { proxy: 'api' }", "'/api/': { proxy: 'api' },\n      '= /version': { respond: 'edge v2' }"));
    await eventually(async () => {
      expect(await (await fetch(new URL('/version', edge))).text()).toBe('edge v2');
    });
    await dev.waitFor(/edge\s*│ reloaded/, from);
    expect(dev.output().slice(from)).not.toMatch(/api\s*│/);
  });

  it('stops every tier on Ctrl+C, leaving no process behind', async () => {
    processes = descendants(dev.child.pid!);
    // The container's primary and worker, workerd.
    expect(processes.length).toBeGreaterThanOrEqual(3);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    expect(dev.output()).toMatch(/Stopped\.\n$/);
    expect(await survivors(processes)).toEqual([]);
    await expect(fetch(edge)).rejects.toThrow('fetch failed');
  });
});

describe('what stops gatehouse dev before it starts is one line', () => {
  const expectOneLine = async (dev: Dev, pattern: RegExp): Promise<void> => {
    expect(await dev.exited).toBe(2);
    const lines = dev.output().trim().split('\n');
    expect(lines[0]).toMatch(pattern);
    expect(lines.slice(1).join('\n')).not.toMatch(/\bat .+:\d+:\d+/);
    expect(lines.length).toBeLessThanOrEqual(2);
  };

  it('a port in use names the port and the field that sets it', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      await expectOneLine(startDev(newProject(), [], { EDGE_PORT: String(port) }), new RegExp(`^gatehouse dev: port ${port} on 127\\.0\\.0\\.1 is in use: stop what holds it, or set another in gatehouse\\.config\\.ts \\(edge\\.port\\)$`));
    } finally {
      holder.close();
    }
  });

  it('a missing entry names the field', async () => {
    const project = newProject();
    rmSync(join(project, 'src/app.ts'));
    await expectOneLine(startDev(project, ['--port', '0']), /^gatehouse dev: gatehouse\.config\.ts: origins\.api\.entry is \.\/src\/app\.ts, which does not exist$/);
  });

  it('a wrong field in the config names it and what it wants', async () => {
    const project = newProject();
    const file = join(project, 'gatehouse.config.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("kind: 'node'", "kind: 'nod'"));
    await expectOneLine(startDev(project), /^gatehouse dev: gatehouse\.config\.ts: origins\.api\.kind wants "node" or "lambda", not "nod"$/);
    writeFileSync(file, readFileSync(file, 'utf8').replace("kind: 'nod', entry", "kind: 'node', workers: 0, entry"));
    await expectOneLine(startDev(project), /^gatehouse dev: gatehouse\.config\.ts: origins\.api\.workers wants a whole number of at least 1, not 0$/);
  });

  it('no config file says what dev needs', async () => {
    const project = newProject();
    rmSync(join(project, 'gatehouse.config.ts'));
    await expectOneLine(startDev(project), /^gatehouse dev: no gatehouse\.config\.ts here/);
  });

  it('an unknown option gets the help hint', async () => {
    const dev = startDev(newProject(), ['--prot', '1']);
    expect(await dev.exited).toBe(2);
    expect(dev.output()).toBe('gatehouse dev: unknown option --prot (did you mean --port?)\nRun "gatehouse dev --help" for the options.\n');
  });
});

describe('help', () => {
  it('gatehouse --help lists dev, build and start; each command its options with their defaults', async () => {
    const project = newProject();
    for (const [args, expected] of [
      [['--help'], [/^ {2}dev {11}run the whole stack locally/m, /^ {2}build {9}build what each tier deploys/m, /^ {2}start \[app\]/m]],
      [['dev', '--help'], [/-p, --port <n> +the edge's port \(default: edge\.port, else 8787\)/, /-H, --host <address> +address every tier listens on \(default 127\.0\.0\.1\)/]],
      [['build', '--help'], [/-t, --target <kind> +workers, lambda or node; repeatable \(default: every tier\)/, /-o, --outdir <dir> +.*\(default: dist\)/]],
    ] as const) {
      const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, ...args], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      for (const line of expected) expect(out).toMatch(line);
    }
  });
});
