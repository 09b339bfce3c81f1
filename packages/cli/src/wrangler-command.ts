import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from './usage-error.ts';

/**
 * Run the project's own wrangler (`wrangler <args> --config <config>`) from
 * the config's folder, its output captured. wrangler has no supported
 * programmatic deploy, so build and deploy go through its command.
 */
export async function runWrangler(
  root: string,
  wranglerConfig: string,
  args: readonly string[],
  conditions: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  let bin: string;
  try {
    bin = join(dirname(createRequire(join(root, 'package.json')).resolve('wrangler/package.json')), 'bin/wrangler.js');
  } catch {
    throw new UsageError('the edge goes through wrangler, which is not installed here: npm install --save-dev wrangler');
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', ...env };
  if (conditions.length > 0) childEnv.WRANGLER_BUILD_CONDITIONS ??= [...conditions, 'workerd', 'worker', 'browser'].join(',');
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--config', wranglerConfig], { cwd: dirname(wranglerConfig), env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
