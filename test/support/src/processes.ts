import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether a process with this id is still running: signal 0 tests for it
 * without touching it. A zombie (exited, not yet reaped) counts as gone:
 * where PID 1 does not reap, as in some containers, an orphan that exited
 * stays one.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state is the field after the command, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Without /proc (not Linux) signal 0 is all there is to go on; with it, the process has just gone.
    return !existsSync('/proc/self/stat');
  }
}

/** Every process under `pid`, at any depth (Linux: read from /proc; elsewhere none). */
export function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * Those of `pids` still running after up to `ms`: a process that is
 * stopping gets that long to finish, one left behind is named.
 */
export async function survivors(pids: readonly number[], ms = 10_000): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() >= until) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
