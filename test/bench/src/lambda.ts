import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ENTRIES } from './lambda/entries.ts';
import { median, table } from './stats.ts';

const run = promisify(execFile);

export interface LambdaBenchOptions {
  rounds: number;
  seconds: number;
  cpu: number;
}

interface Sample {
  init: number;
  first: number;
  perCall: number;
}

/**
 * Each Lambda adapter bundled with esbuild (minified, as deployed), then run
 * in fresh processes pinned to one CPU: bundle size, init time, first
 * invocation, and time per invocation of an HTTP API event.
 */
export async function benchLambda(options: LambdaBenchOptions): Promise<void> {
  console.log(`\n## Lambda adapters: ${options.rounds} fresh processes each, ${options.seconds} s of invocations, CPU ${options.cpu}`);
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-lambda-bench-'));
  const bundles = new Map<string, { file: string; bytes: number }>();
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const file = join(out, entry.replace(/\.ts$/, '.mjs'));
    await build({
      entryPoints: [fileURLToPath(new URL(`./lambda/entries/${entry}`, import.meta.url))],
      outfile: file,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      conditions: ['@gatehouse/source'],
      logLevel: 'error',
      // CommonJS dependencies (serverless-http) require Node built-ins; in an
      // ES module bundle that needs a require. Every bundle gets it, so it
      // cancels out of the sizes.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    });
    bundles.set(name, { file, bytes: statSync(file).size });
  }

  const samples = new Map<string, Sample[]>();
  const invoke = fileURLToPath(new URL('./lambda/invoke.ts', import.meta.url));
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, { file }] of bundles) {
      if (name.startsWith('app alone')) continue;
      const { stdout } = await run('taskset', ['-c', String(options.cpu), process.execPath, '--conditions=@gatehouse/source', invoke, file, String(options.seconds)]);
      samples.set(name, [...(samples.get(name) ?? []), JSON.parse(stdout) as Sample]);
    }
  }

  const baseline = bundles.get('app alone (baseline)')!.bytes;
  const ours = median(samples.get('@gatehouse/lambda')!.map((s) => s.perCall));
  const rows = [...samples].map(([name, list]) => {
    const perCall = median(list.map((s) => s.perCall));
    const bytes = bundles.get(name)!.bytes;
    return [
      name,
      `${perCall.toFixed(2)} µs`,
      name === '@gatehouse/lambda' ? '' : `${(perCall / ours).toFixed(2)}×`,
      `${(bytes / 1024).toFixed(1)} KB`,
      `${((bytes - baseline) / 1024).toFixed(1)} KB`,
      `${median(list.map((s) => s.init)).toFixed(1)} ms`,
      `${median(list.map((s) => s.first)).toFixed(1)} ms`,
    ];
  });
  console.log('\n### hello App, HTTP API event (medians)\n');
  console.log(
    table(['adapter', 'per invocation', 'this ÷ ours', 'bundle (min)', 'adapter adds', 'init', 'first call'], rows),
  );
}
