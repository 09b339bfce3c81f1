import { readFileSync } from 'node:fs';
import { cp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PackageManager, runScript } from './package-manager.ts';

/** A project to start from, as the prompt offers it. */
export interface Template {
  readonly id: string;
  readonly title: string;
  readonly hint: string;
}

export const TEMPLATES: readonly Template[] = [
  { id: 'edge-node', title: 'Edge + Node origin', hint: 'the edge on Workers serves public/ and proxies /api/ to a Hono app on Node' },
  { id: 'edge-lambda', title: 'Edge + Lambda origin', hint: 'the same edge, in front of the App as an AWS Lambda function' },
  { id: 'worker', title: 'Worker only', hint: 'one App as a Cloudflare Worker, static files from the assets binding' },
  { id: 'node', title: 'Node only', hint: 'one App in the application container (gatehouse start)' },
];

/** The folder the templates ship in: beside dist/ and src/ alike. */
const TEMPLATES_FOLDER = fileURLToPath(new URL('../templates/', import.meta.url));

/** This package's version: the @gatehouse packages of a new project are the ones released with it. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Files npm leaves out of a package, shipped under another name and renamed when copied. */
const RENAMED: Readonly<Record<string, string>> = { _gitignore: '.gitignore' };

/** Files whose `{{placeholders}}` are filled in. */
const FILLED = new Set(['package.json', 'README.md', 'wrangler.toml', 'index.html', 'Dockerfile', 'gatehouse.service']);

/**
 * Copy template `id` into `target` (which exists, and is empty but for
 * what a fresh folder may hold), naming the project `name` and writing
 * commands in `manager`'s syntax.
 */
export async function copyTemplate(id: string, target: string, name: string, manager: PackageManager): Promise<void> {
  await cp(join(TEMPLATES_FOLDER, id), target, { recursive: true });
  const values: Record<string, string> = {
    name,
    version: VERSION,
    dev: runScript(manager, 'dev'),
    test: runScript(manager, 'test'),
    typecheck: runScript(manager, 'typecheck'),
    install: manager === 'yarn' ? 'yarn' : `${manager} install`,
  };
  for (const entry of await readdir(target, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (FILLED.has(entry.name)) {
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole));
    }
    const renamed = RENAMED[entry.name];
    if (renamed !== undefined) await rename(path, join(entry.parentPath, renamed));
  }
}

/** A package name from a folder's name: lower case, with what npm refuses turned into dashes. */
export function packageName(folder: string): string {
  const name = folder
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name === '' ? 'gatehouse-app' : name;
}
