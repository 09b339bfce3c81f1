import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const git = (folder: string, ...args: string[]): boolean =>
  spawnSync('git', args, { cwd: folder, stdio: 'ignore', timeout: 30_000 }).status === 0;

/**
 * Make `folder` a repository with one commit of everything in it. Skipped,
 * with the reason, when git is missing, the folder is inside a repository
 * already, or git has no author to commit as; on a failure part-way, the
 * half-made `.git` is removed. Never throws: a project without git still works.
 */
export function initRepository(folder: string): { done: true } | { done: false; reason: string } {
  if (!git(folder, '--version')) return { done: false, reason: 'git is not installed' };
  if (git(folder, 'rev-parse', '--is-inside-work-tree')) return { done: false, reason: 'the folder is inside a git repository already' };
  if (!git(folder, 'config', 'user.email')) return { done: false, reason: 'git has no user.email to commit as (git config --global user.email you@example.com)' };
  const ok = git(folder, 'init', '--quiet') && git(folder, 'add', '--all') && git(folder, 'commit', '--quiet', '--no-verify', '-m', 'A new Gatehouse project');
  if (!ok) {
    rmSync(join(folder, '.git'), { recursive: true, force: true });
    return { done: false, reason: 'git failed' };
  }
  return { done: true };
}
