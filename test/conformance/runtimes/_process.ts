import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Stop a server process the way production does (SIGTERM), and wait for it. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The most resident memory (VmHWM) any of `pids` has had at any point, in bytes. */
export async function peakResident(pids: readonly (number | string | undefined)[]): Promise<number> {
  let peak = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) * 1024);
  }
  return peak;
}

/** The processes `pid` started. */
export async function childrenOf(pid: number | undefined): Promise<string[]> {
  return (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/);
}
