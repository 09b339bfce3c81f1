import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * The project's wrangler module, loaded from the project (not from this
 * package), so that the wrangler the project pinned is the one used.
 */
export async function importWrangler(root: string, why: string): Promise<Record<string, unknown>> {
  let path: string;
  try {
    path = createRequire(join(root, 'package.json')).resolve('wrangler');
  } catch {
    throw new UsageError(`${why} through wrangler, which is not installed here: npm install --save-dev wrangler`);
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/**
 * Cloudflare's rule for a Worker's name: it becomes a DNS label
 * (`<name>.<subdomain>.workers.dev`), so lowercase letters, digits and
 * dashes, at most 63, no dash first or last.
 */
export function workerNameProblem(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return 'has no name: add one, e.g. name = "my-site-edge"';
  if (name.length > 63) return `name "${name}" is ${name.length} characters long: a Worker's name has at most 63`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
    const suggestion = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
    return `name "${name}" is not a Worker name: lowercase letters, digits and dashes, not starting or ending with a dash${suggestion === '' ? '' : ` (e.g. "${suggestion}")`}`;
  }
  return undefined;
}

/**
 * The Worker's name as its wrangler config writes it, unchecked (wrangler's
 * own reading refuses a bad name with several lines; gatehouse says it in
 * one, with a name that would do).
 */
export async function workerNameOf(root: string, wranglerConfig: string): Promise<string | undefined> {
  const wrangler = await importWrangler(root, 'the edge goes');
  type Read = (args: { config: string }, options?: { hideWarnings?: boolean }) => { name?: string; rawConfig?: { name?: string } };
  const readRaw = wrangler.experimental_readRawConfig as Read | undefined;
  if (typeof readRaw === 'function') return readRaw({ config: wranglerConfig }).rawConfig?.name;
  const read = wrangler.unstable_readConfig as Read | undefined;
  if (typeof read !== 'function') throw new UsageError('the installed wrangler cannot read its config for gatehouse: gatehouse deploy needs wrangler 4');
  try {
    return read({ config: wranglerConfig }, { hideWarnings: true }).name;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\s*\n\s*-?\s*/g, ' ').trim());
  }
}
