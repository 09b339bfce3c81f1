import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { parseCommandArgs } from '../command-args.ts';
import { loadConfigFile } from '../config-file.ts';
import { UsageError } from '../usage-error.ts';
import { runWrangler } from '../wrangler-command.ts';

export const BUILD_HELP = `Usage: gatehouse build [options]

Builds what each tier of gatehouse.config.ts deploys, into --outdir:

  workers  the edge Worker as \`wrangler deploy\` uploads it, made by wrangler
           itself (its module rules and shims are what production runs)
  lambda   each Lambda origin: index.mjs (an ES module for nodejs24.x and
           nodejs22.x, minified, a linked source map, @aws-sdk/* left to the
           runtime; Handler index.handler) and <name>.zip, ready to upload
  node     each Node origin: one module with its dependencies, <name>/app.mjs,
           for gatehouse start

and prints each artifact's path, size and gzip size.

Options:
  -t, --target <kind>    workers, lambda or node; repeatable (default: every tier)
  -o, --outdir <dir>     where the artifacts go, emptied first (default: dist)
  -c, --config <file>    config file (default: ./gatehouse.config.{ts,mjs,js})
  -h, --help             this help
`;

const OPTIONS = {
  target: { type: 'string', short: 't', multiple: true },
  outdir: { type: 'string', short: 'o' },
  config: { type: 'string', short: 'c' },
} as const;

const TARGETS = ['workers', 'lambda', 'node'] as const;
type Target = (typeof TARGETS)[number];

/** A zip's entries carry this date, so that the same code makes the same zip (and the same hash). */
const ZIP_DATE = new Date('2026-01-01T00:00:00Z');

/** `gatehouse build`: resolves with the exit code. */
export async function build(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`build takes no arguments, not ${positionals.join(' ')}`, { seeHelp: true });
  for (const target of values.target ?? []) {
    if (!TARGETS.includes(target as Target)) throw new UsageError(`--target wants ${TARGETS.join(', ')}, not "${target}"`, { seeHelp: true });
  }
  const { file, root, config } = await loadConfigFile(values.config);
  if (file === undefined) throw new UsageError('no gatehouse.config.ts here: build makes what the tiers it names deploy');
  const name = relative(process.cwd(), file) || file;
  const wanted = new Set<Target>((values.target as Target[] | undefined) ?? TARGETS);
  const outdir = resolve(values.outdir ?? join(root, 'dist'));
  const conditions = config.conditions ?? [];
  const mustExist = (path: string, field: string): string => {
    const absolute = resolve(root, path);
    if (!existsSync(absolute)) throw new UsageError(`${name}: ${field} is ${path}, which does not exist`);
    return absolute;
  };

  const jobs: { target: Target; label: string; run: () => Promise<string[]> }[] = [];
  if (wanted.has('workers') && config.edge !== undefined) {
    const wrangler = mustExist(config.edge.wrangler ?? './wrangler.toml', 'edge.wrangler');
    jobs.push({ target: 'workers', label: 'edge', run: () => buildWorker(root, wrangler, join(outdir, 'edge'), conditions) });
  }
  for (const [originName, origin] of Object.entries(config.origins ?? {})) {
    if (!wanted.has(origin.kind === 'node' ? 'node' : 'lambda')) continue;
    const entry = mustExist(origin.entry, `origins.${originName}.entry`);
    const folder = join(outdir, originName);
    jobs.push(
      origin.kind === 'node'
        ? { target: 'node', label: originName, run: () => buildNode(entry, folder, conditions) }
        : { target: 'lambda', label: originName, run: () => buildLambda(entry, folder, conditions) },
    );
  }
  if (jobs.length === 0) {
    throw new UsageError(`${name} has no tier to build${values.target === undefined ? '' : ` for --target ${[...wanted].join(', ')}`}`);
  }

  rmSync(outdir, { recursive: true, force: true });
  const rows: string[][] = [];
  for (const job of jobs) {
    const started = Date.now();
    const artifacts = await job.run();
    process.stdout.write(`${job.label} (${job.target}) built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const artifact of artifacts) {
      const bytes = readFileSync(artifact);
      rows.push([relative(process.cwd(), artifact), kib(bytes.byteLength), artifact.endsWith('.zip') ? '' : `gzip ${kib(gzipSync(bytes).byteLength)}`]);
    }
  }
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const [path, size, gzip] of rows) process.stdout.write(`  ${path!.padEnd(widths[0]!)}  ${size!.padStart(widths[1]!)}  ${gzip}\n`.trimEnd() + '\n');
  return 0;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Every file under `folder`, sorted by path. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * The Worker as `wrangler deploy` would upload it, by wrangler itself
 * (`deploy --dry-run --outdir`): bundling it again here would be a second
 * bundler whose output production never runs.
 */
export async function buildWorker(root: string, wranglerConfig: string, folder: string, conditions: readonly string[]): Promise<string[]> {
  const { code, output } = await runWrangler(root, wranglerConfig, ['deploy', '--dry-run', '--outdir', folder], conditions);
  if (code !== 0) throw new BuildError(`wrangler could not build the edge (${basename(wranglerConfig)}):\n${output.trim()}`);
  return filesUnder(folder);
}

/** One ES module with the App's dependencies, for `gatehouse start <name>/app.mjs`. */
async function buildNode(entry: string, folder: string, conditions: readonly string[]): Promise<string[]> {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(folder, { recursive: true });
  await esbuild({
    entryPoints: [entry],
    outfile: join(folder, 'app.mjs'),
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    conditions: [...conditions],
    logLevel: 'error',
    // CommonJS dependencies that require Node built-ins need a require in an ES module.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  }).catch((error: unknown) => {
    throw new BuildError(`could not bundle ${entry}: ${(error as Error).message}`);
  });
  return filesUnder(folder);
}

/** The function as Lambda runs it (the emulator's own bundling), and a zip of it to upload. */
export async function buildLambda(entry: string, folder: string, conditions: readonly string[]): Promise<string[]> {
  // An optional peer: only a project with a Lambda origin has it.
  const { writeFunctionBundle } = await import('@gatehouse/lambda/emulator');
  mkdirSync(folder, { recursive: true });
  await writeFunctionBundle(entry, folder, { conditions: [...conditions], handler: 'index.handler' }).catch((error: unknown) => {
    throw new BuildError(`could not bundle ${entry}: ${(error as Error).message}`);
  });
  const files = filesUnder(folder);
  const zip = zipSync(Object.fromEntries(files.map((path) => [relative(folder, path), [readFileSync(path), { mtime: ZIP_DATE }] as const])), { level: 9 });
  const zipFile = `${folder}.zip`;
  writeFileSync(zipFile, zip);
  return [...files, zipFile];
}

/** A tier that does not build: its reason, in the builder's words. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}
