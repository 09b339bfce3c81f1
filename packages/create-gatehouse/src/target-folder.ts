import { existsSync, readdirSync, statSync } from 'node:fs';

/** What a fresh folder may hold without counting as in use (as create-cloudflare and create-next-app allow). */
const HARMLESS = new Set(['.git', '.DS_Store', 'Thumbs.db', '.idea', '.vscode', 'LICENSE', 'README.md', '.gitignore']);

/**
 * The files in `folder` a new project could clash with: none for a folder
 * that does not exist, or holds only what a fresh folder may. Throws if
 * `folder` is a file.
 */
export function conflictsIn(folder: string): string[] {
  if (!existsSync(folder)) return [];
  if (!statSync(folder).isDirectory()) throw new Error(`${folder} is a file, not a folder`);
  return readdirSync(folder).filter((name) => !HARMLESS.has(name) && !name.endsWith('.log'));
}
