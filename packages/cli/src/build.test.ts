// `gatehouse build` on a project with all three kinds of tier
// (test/build-project), each artifact then run the way it is deployed.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emulate, startRuntimeApi } from '@gatehouse/lambda/emulator';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const PROJECT = fileURLToPath(new URL('../test/build-project', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'gatehouse-build-'));
const children: ChildProcess[] = [];

function gatehouse(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, ...args], {
      cwd: PROJECT,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(outdir, { recursive: true, force: true });
});

describe('gatehouse build', () => {
  let output: string;
  let built: { code: number | null; stderr: string };
  beforeAll(async () => {
    const result = await gatehouse(['build', '--outdir', outdir]);
    built = result;
    output = result.stdout;
  });

  it("prints each artifact's path, size and gzip size", () => {
    expect(built.code, built.stderr).toBe(0);
    expect(output).toMatch(/^edge \(workers\) built in \d+\.\d s$/m);
    expect(output).toMatch(/^api \(node\) built in \d+\.\d s$/m);
    expect(output).toMatch(/^fn \(lambda\) built in \d+\.\d s$/m);
    expect(output).toMatch(/^ {2}\S+\/fn\/index\.mjs +\d+\.\d KiB {2}gzip \d+\.\d KiB$/m);
    expect(output).toMatch(/^ {2}\S+\/fn\.zip +\d+\.\d KiB$/m);
    expect(output).toMatch(/^ {2}\S+\/api\/app\.mjs +\d+\.\d KiB {2}gzip \d+\.\d KiB$/m);
  });

  it('the Lambda zip unzips to a handler that answers an HTTP API event, through the emulator', async () => {
    const zip = unzipSync(readFileSync(join(outdir, 'fn.zip')));
    expect(Object.keys(zip).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const taskRoot = mkdtempSync(join(tmpdir(), 'gatehouse-unzipped-'));
    try {
      for (const [name, bytes] of Object.entries(zip)) writeFileSync(join(taskRoot, name), bytes);
      expect(readFileSync(join(taskRoot, 'index.mjs'), 'utf8')).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      const api = await startRuntimeApi({ runtime: { taskRoot, handler: 'index.handler', stdio: 'ignore' } });
      const front = await emulate(api, { source: 'http' });
      try {
        const response = await fetch(new URL('/hello?x=1', front.url), { method: 'POST', body: 'hi' });
        const text = await response.text();
        expect(JSON.parse(text), `${response.status} ${text}`).toEqual({ from: 'bundle', path: '/hello', method: 'POST' });
      } finally {
        await front.close();
        await api.close();
      }
    } finally {
      rmSync(taskRoot, { recursive: true, force: true });
    }
  });

  it('the same code makes the same zip', async () => {
    const first = readFileSync(join(outdir, 'fn.zip'));
    const again = join(outdir, '..', `${outdir.split('/').pop()}-again`);
    try {
      expect((await gatehouse(['build', '--target', 'lambda', '--outdir', again])).code).toBe(0);
      expect(readFileSync(join(again, 'fn.zip')).equals(first)).toBe(true);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('the Node bundle serves under gatehouse start, with no node_modules beside it', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'gatehouse-node-bundle-'));
    try {
      mkdirSync(join(alone, 'api'));
      for (const name of ['app.mjs', 'app.mjs.map']) writeFileSync(join(alone, 'api', name), readFileSync(join(outdir, 'api', name)));
      const child = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, 'start', join(alone, 'api/app.mjs'), '--port', '0', '--workers', '1'], {
        cwd: alone,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          log += chunk;
          const match = /serving \S+ on (\S+) with/.exec(log);
          if (match) resolve(match[1]!);
        });
        child.once('exit', () => reject(new Error(log)));
      });
      expect(await (await fetch(new URL('/x', url))).json()).toEqual({ from: 'bundle', path: '/x', method: 'GET' });
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });

  it("the Worker is wrangler's own upload: the edge bundled with the packages it imports", () => {
    const bundle = join(outdir, 'edge', 'edge.js');
    expect(existsSync(bundle), output).toBe(true);
    // From @gatehouse/edge's sources (the config's conditions reached wrangler), not an import left for the runtime.
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from\s*["']@gatehouse\//);
    expect(readFileSync(bundle, 'utf8')).toContain('env.ASSETS');
  });
});

describe('what stops gatehouse build is one line', () => {
  it('an unknown target', async () => {
    const result = await gatehouse(['build', '--target', 'lamda']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('gatehouse build: --target wants workers, lambda, node, not "lamda"\nRun "gatehouse build --help" for the options.\n');
  });

  it('a Lambda entry without the handler export names both', async () => {
    const project = mkdtempSync(join(PROJECT, '..', '.build-test-'));
    try {
      writeFileSync(join(project, 'gatehouse.config.ts'), "export default { origins: { fn: { kind: 'lambda', entry: './fn.ts' } } };\n");
      writeFileSync(join(project, 'fn.ts'), 'export const main = () => ({ statusCode: 200 });\n');
      const child = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const run = spawn(process.execPath, ['--conditions=@gatehouse/source', BIN, 'build'], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        run.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
        run.on('close', (code) => resolve({ code, stderr }));
      });
      expect(child.code).toBe(1);
      expect(child.stderr).toMatch(/^gatehouse build: could not bundle \S+fn\.ts: \S+fn\.ts has no export handler for the handler index\.handler \(it exports main\)\n$/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
