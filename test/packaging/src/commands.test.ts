import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

// The commands the root README shows, run as a user types them at the
// root of a clone: through npm and npx, on the built packages.
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const running = new Set<ChildProcess>();

afterEach(() => {
  // Each command runs in a process group of its own: npm's children go with it.
  for (const child of running) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  running.clear();
});

function run(command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': every process holding the output (npx's children too) has let go of it.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The first URL the command prints, once it has. */
async function urlFrom(output: () => string, exited: Promise<unknown>): Promise<string> {
  const found = (): string | undefined => /https?:\/\/127\.0\.0\.1:\d+\/?/.exec(output())?.[0];
  for (let waited = 0; found() === undefined; waited += 50) {
    if (waited > 20_000) throw new Error(`no URL after 20 s; the command printed: ${output()}`);
    const ended = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);
    if (ended === true && found() === undefined) throw new Error(`the command ended without a URL: ${output()}`);
  }
  return found()!;
}

it('npx gatehouse --version prints the CLI version', async () => {
  const { version } = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string };
  const command = run('npx', ['gatehouse', '--version']);
  expect(await command.exited).toBe(0);
  expect(command.output().trim()).toBe(version);
}, 30_000);

it('npx gatehouse start serves the demo App in the container, and stops on SIGTERM', async () => {
  const command = run('npx', ['gatehouse', 'start', './apps/demo/src/app.ts', '--workers', '1', '--port', '0']);
  const url = await urlFrom(command.output, command.exited);
  expect((await fetch(url)).status).toBe(200);
  // To the whole group, as a terminal's Ctrl+C or a service manager would: npx passes on, the primary stops gracefully.
  process.kill(-command.child.pid!, 'SIGTERM');
  await command.exited;
  expect(command.output()).toMatch(/stopped/);
}, 40_000);

it('npm run dev serves the demo', async () => {
  const command = run('npm', ['run', 'dev'], { PORT: '0' });
  const url = await urlFrom(command.output, command.exited);
  expect((await fetch(url)).status).toBe(200);
  process.kill(-command.child.pid!, 'SIGTERM');
  await command.exited;
}, 40_000);
