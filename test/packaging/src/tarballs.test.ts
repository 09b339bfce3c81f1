import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The packages a Node user of the edge installs, as npm would unpack them. */
const PACKAGES = ['core', 'edge', 'node', 'edge-node', 'cli'];

let project: string;

beforeAll(async () => {
  // A project outside the repository, with the packed tarballs unpacked
  // into its node_modules and their registry dependencies beside them.
  project = mkdtempSync(join(tmpdir(), 'gatehouse-tarballs-'));
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@gatehouse'), { recursive: true });
  for (const name of PACKAGES) {
    const dir = join(root, 'packages', name);
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: dir });
    const tarball = join(project, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    const target = join(modules, '@gatehouse', name);
    mkdirSync(target);
    await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (dependency.startsWith('@gatehouse/') || existsSync(join(modules, dependency))) continue;
      symlinkSync(installed(dependency, dir), join(modules, dependency), 'dir');
    }
  }
}, 60_000);

/** Where Node finds `dependency` from the package at `dir`: its own node_modules, then the workspace's. */
function installed(dependency: string, dir: string): string {
  for (const folder of [join(dir, 'node_modules', dependency), join(root, 'node_modules', dependency)]) {
    if (existsSync(join(folder, 'package.json'))) return folder;
  }
  throw new Error(`${dependency} is not installed for ${dir}`);
}

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

it('runs the published packages for a user whose tools pass --conditions=source', async () => {
  // `source` is many monorepos' condition for their own TypeScript: ours must
  // not answer to it, or Node would load .ts from node_modules and refuse.
  const script = `
    import { defineEdge } from '@gatehouse/edge-node';
    import { serve } from '@gatehouse/node';
    const origin = await serve({ fetch: () => new Response('from the origin') }, { port: 0 });
    const edgeApp = defineEdge({ pools: { app: { servers: [origin.url] } }, routes: { '/': { proxy: 'app' } } });
    const edge = await serve(edgeApp, { port: 0 });
    const text = await (await fetch(edge.url)).text();
    await edge.close();
    await origin.close();
    await edgeApp.close();
    const resolved = ['@gatehouse/core', '@gatehouse/node', '@gatehouse/edge', '@gatehouse/edge-node', '@gatehouse/edge-node/transport', '@gatehouse/cli'].map((name) => import.meta.resolve(name));
    console.log(JSON.stringify({ text, resolved }));
  `;
  const { stdout } = await run(process.execPath, ['--conditions=source', '--input-type=module', '-e', script], { cwd: project });
  const result = JSON.parse(stdout) as { text: string; resolved: string[] };
  expect(result.text).toBe('from the origin');
  for (const resolved of result.resolved) expect(resolved).toMatch(/\/node_modules\/@gatehouse\/[a-z-]+\/dist\/.*\.js$/);
});
