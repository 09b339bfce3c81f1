import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { RuntimeProcess } from './runtime-api.ts';

export interface BundleOptions {
  /** Extra export conditions, e.g. `['@gatehouse/source']` inside this repository. */
  conditions?: string[];
  /**
   * The handler, as Lambda's Handler setting: `file.export` (`'app.main'`
   * writes `app.mjs`), or the export name alone (`'main'`, in `index.mjs`).
   * Defaults to `'index.handler'`.
   */
  handler?: string;
}

/** A bundled function in a temporary task root: what to configure, and where it is. */
export interface BundledFunction extends RuntimeProcess {
  /** The temporary folder the bundle is in: `LAMBDA_TASK_ROOT`, or what to zip. */
  readonly taskRoot: string;
  /** The bundle itself, an ES module in `taskRoot`. */
  readonly file: string;
  /** The Handler setting that runs it, `file.export`: `_HANDLER`. */
  readonly handler: string;
  /** Removes `taskRoot`. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Bundle a function entry the way it is deployed (one minified ES module,
 * Node built-ins left out) into a fresh temporary task root, under the
 * handler name given. The result says where it is and which Handler
 * setting runs it; it can be given as is to `startRuntimeApi({ runtime })`.
 * `close()` (or `await using`) removes the folder. Needs esbuild (an
 * optional peer dependency).
 */
export async function bundleFunction(entry: string, options: BundleOptions = {}): Promise<BundledFunction> {
  const taskRoot = mkdtempSync(join(tmpdir(), 'gatehouse-fn-'));
  const close = (): Promise<void> => rm(taskRoot, { recursive: true, force: true });
  try {
    const { file, handler } = await writeFunctionBundle(entry, taskRoot, options);
    return { taskRoot, file, handler, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Bundle a function entry into `folder` as it is deployed: one minified ES
 * module for Node 22 and later (`nodejs22.x`, `nodejs24.x`), with a linked
 * source map, Node built-ins and the AWS SDK v3 (which Lambda's Node
 * runtimes provide) left out. Checks that the handler's export exists.
 * What `bundleFunction` runs and `gatehouse build --target lambda` zips.
 */
export async function writeFunctionBundle(entry: string, folder: string, options: BundleOptions = {}): Promise<{ file: string; handler: string }> {
  const spec = options.handler ?? 'index.handler';
  const dot = spec.lastIndexOf('.');
  const [file, name] = dot === -1 ? ['index', spec] : [spec.slice(0, dot), spec.slice(dot + 1)];
  const outfile = join(folder, `${file}.mjs`);
  const inside = relative(folder, outfile);
  if (file === '' || name === '' || isAbsolute(inside) || inside.startsWith('..')) {
    throw new Error(`The handler ${spec} is not file.export inside the task root`);
  }
  const { build } = await import('esbuild');
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: ['@aws-sdk/*'],
    conditions: options.conditions ?? [],
    logLevel: 'error',
    metafile: true,
    // CommonJS dependencies that require Node built-ins need a require in an ES module.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  });
  // Found now rather than as Runtime.HandlerNotFound at the first request.
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1];
  const exports = output?.exports ?? [];
  if (!exports.includes(name)) {
    throw new Error(`${entry} has no export ${name} for the handler ${spec} (it exports ${exports.join(', ') || 'nothing'})`);
  }
  return { file: outfile, handler: `${file}.${name}` };
}


/** For the form that hands out a bare folder, which nothing else would ever remove. */
