import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bundle a function entry the way it is deployed (one minified ES module,
 * Node built-ins left out) into a fresh task root, and return that
 * directory: what the runtime client loads. Needs esbuild (an optional
 * peer dependency). `conditions` are extra export conditions, e.g.
 * `['source']` inside this repository.
 */
export async function bundleFunction(entry: string, conditions: string[] = []): Promise<string> {
  const { build } = await import('esbuild');
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-fn-'));
  await build({
    entryPoints: [entry],
    outfile: join(root, 'index.mjs'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    conditions,
    logLevel: 'error',
    // CommonJS dependencies that require Node built-ins need a require in an ES module.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  });
  return root;
}
