import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '@gatehouse/test-support/sockets';

// The code the READMEs show, as a reader would copy it: every TypeScript
// block type-checks against the packages, and the Worker project of
// @gatehouse/cloudflare's README runs under wrangler as its commands say.
// A block that imports `./app.ts` without the README showing one gets
// the smallest App there is.

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// Inside the repository, so the examples' imports resolve to the workspace packages.
const out = join(root, 'test/packaging/.readme-examples');
const readmes = ['README.md', ...readdirSync(join(root, 'packages')).map((name) => `packages/${name}/README.md`)];

interface Block {
  readonly readme: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
}

function blocksOf(readme: string): Block[] {
  const lines = readFileSync(join(root, readme), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1] !== '```') i++;
    blocks.push({ readme, line: start, lang: open[1]!, text: lines.slice(start, i + 1).join('\n') + '\n' });
    i++;
  }
  return blocks;
}

/** A block that starts with a comment naming a file of its language (`// src/app.ts`, `# wrangler.toml`) is that file of the README's project. */
function fileNamed(block: Block): string | undefined {
  const name = /^(?:\/\/|#) ?([\w./-]+\.(?:ts|toml))(?:$|[:\s])/.exec(block.text)?.[1];
  return name?.endsWith(`.${block.lang}`) ? name : undefined;
}

/** Where each README's blocks go: named files together (a new folder when a name repeats), the rest one folder each. */
function writeExamples(): Map<string, string> {
  const folders = new Map<string, string>();
  for (const readme of readmes) {
    const slug = readme.replace(/\/README\.md$|\.md$/, '').replace(/\W+/g, '-');
    let project = 0;
    const named = new Set<string>();
    for (const block of blocksOf(readme)) {
      if (!['ts', 'toml'].includes(block.lang)) continue;
      const name = fileNamed(block);
      if (name === undefined) {
        if (block.lang !== 'ts') continue;
        const folder = join(out, `${slug}-line-${block.line}`);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, 'example.ts'), block.text);
        writeFileSync(join(folder, 'app.ts'), ANY_APP);
        continue;
      }
      if (named.has(name)) {
        project++;
        named.clear();
      }
      named.add(name);
      const folder = join(out, `${slug}-project-${project}`);
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), block.text);
      folders.set(`${readme}#${project}`, folder);
    }
  }
  for (const folder of folders.values()) {
    const app = readdirSync(folder, { recursive: true }).find((name) => String(name).endsWith('app.ts'));
    if (app === undefined) writeFileSync(join(folder, 'app.ts'), ANY_APP);
  }
  return folders;
}

const ANY_APP = "import type { App } from '@gatehouse/core';\n\nexport const app: App = { fetch: () => new Response('ok') };\n";

let projects: Map<string, string>;

beforeAll(() => {
  rmSync(out, { recursive: true, force: true });
  projects = writeExamples();
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Type-check the examples of `folders` with the global types a project of theirs would have. */
async function typeCheck(name: string, folders: readonly string[], types: readonly string[]): Promise<string> {
  const config = join(out, `tsconfig.${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: '../../../tsconfig.json',
      compilerOptions: { types, isolatedDeclarations: false, declaration: false, noEmit: true },
      include: folders.map((folder) => `${folder}/**/*.ts`),
    }),
  );
  const tsc = join(root, 'node_modules/.bin/tsc');
  return promisify(execFile)(tsc, ['-p', config], { cwd: out }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
}

it('every TypeScript example in the READMEs type-checks against the packages', async () => {
  const folders = readdirSync(out);
  const files = readdirSync(out, { recursive: true }).filter((name) => String(name).endsWith('.ts'));
  expect(files.length).toBeGreaterThan(15);
  // A Worker project has Workers' global types; everything else runs on Node.
  const workers = folders.filter((folder) => folder.startsWith('packages-cloudflare-'));
  const node = folders.filter((folder) => !workers.includes(folder));
  const errors = (await typeCheck('node', node, ['node'])) + (await typeCheck('workers', workers, ['@cloudflare/workers-types']));
  // Each error names its folder, which names the README and the line the block starts on.
  expect(errors.replaceAll(`${relative(root, out)}/`, '')).toBe('');
}, 120_000);

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
});


it("runs @gatehouse/cloudflare's Worker project under wrangler as its README shows", async () => {
  const project = projects.get('packages/cloudflare/README.md#0')!;
  expect(readdirSync(project).sort()).toEqual(['src', 'wrangler.toml']);
  const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_WRITE_LOGS: 'false' };
  const port = await freePort();
  // `npx wrangler dev --test-scheduled`, on a free port rather than 8787.
  // The project's `npx wrangler`: npm would run it at the workspace root, not in the folder.
  const wrangler = join(root, 'node_modules/.bin/wrangler');
  const dev = spawn(wrangler, ['dev', '--test-scheduled', '--port', String(port), '--ip', '127.0.0.1', '--show-interactive-dev-session=false'], {
    cwd: project,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(dev);
  let output = '';
  dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; !output.includes(`Ready on http://127.0.0.1:${port}`); waited += 100) {
    if (waited > 60_000 || dev.exitCode !== null) throw new Error(`wrangler dev did not get ready: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const hello = await fetch(`http://127.0.0.1:${port}/`);
  expect(await hello.text()).toBe('Hello from workerd, 127.0.0.1!\n');
  const nightly = await fetch(`http://127.0.0.1:${port}/__scheduled?cron=0+3+*+*+*`);
  expect(nightly.status).toBe(200);
  for (let waited = 0; !output.includes('nightly clean-up, due '); waited += 100) {
    if (waited > 5_000) throw new Error(`the 3 am trigger logged nothing: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(-dev.pid!, 'SIGTERM');

  // `npx wrangler deploy`, short of the upload: the bundle it would send.
  const { stdout } = await promisify(execFile)(wrangler, ['deploy', '--dry-run', '--outdir', 'dist'], { cwd: project, env });
  expect(stdout).toContain('--dry-run: exiting now.');
  expect(readFileSync(join(project, 'dist/index.js'), 'utf8')).toContain('nightly clean-up');
}, 120_000);
