import { readdirSync, readFileSync } from 'node:fs';

/** What Linux's /proc tells of running processes: memory, open files, children. */

/** Resident memory (VmRSS) of the processes, summed, in KiB. */
export function rssKiB(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (line === null) throw new Error(`no VmRSS for process ${pid}`);
    total += Number(line[1]);
  }
  return total;
}

/** Open file descriptors of the processes, summed (a socket is one). */
export function openFiles(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += readdirSync(`/proc/${pid}/fd`).length;
  return total;
}

/** A process's limits on open files (Node has no getrlimit): the hard one is as high as it may raise the soft one unprivileged. */
export function openFileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const line = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  if (line === null) throw new Error(`no open-file limits for process ${pid}`);
  const value = (text: string): number => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(line[1]!), hard: value(line[2]!) };
}

export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      return children === '' ? [] : children.split(' ').map(Number);
    });
  } catch {
    return [];
  }
}

/** SIGKILL a process and all its descendants (nginx's worker outlives a killed master). */
export function killTree(pid: number): void {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) pids.push(...childrenOf(pids[i]!));
  for (const each of pids) {
    try {
      process.kill(each, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
