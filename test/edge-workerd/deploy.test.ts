// The demo's wrangler.toml (apps/demo: its edge, src/edge-worker.ts,
// with public/ as assets) bundles for deployment: `wrangler deploy
// --dry-run` builds everything a deploy uploads, offline and without an account.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const DEMO = join(import.meta.dirname, '../../apps/demo');
const WRANGLER = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin/wrangler.js');
const outdir = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  // No credentials: a dry run needs none, and must not find any.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(CLOUDFLARE_API|CF_API|CLOUDFLARE_ACCOUNT|WRANGLER_BUILD_)/.test(name)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: DEMO,
      env: { ...env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

it('wrangler deploy --dry-run bundles the demo edge from its wrangler.toml', async () => {
  const { code, output } = await run(['deploy', '--dry-run', '--outdir', outdir]);
  expect(code, output).toBe(0);
  expect(output).toMatch(/--dry-run: exiting now/);
  expect(output).toContain('env.ASSETS');
  expect(output).toContain('env.ORIGIN');
  const bundle = join(outdir, 'edge-worker.js');
  expect(existsSync(bundle), `${bundle} among ${readdirSync(outdir).join(', ')}`).toBe(true);
  expect(statSync(bundle).size).toBeGreaterThan(1_000);
});
