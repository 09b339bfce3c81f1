import { readFileSync } from 'node:fs';
import { childrenOf } from './proc.ts';
import { type Load, type LoadResult, wrk } from './wrk.ts';

export interface Run extends LoadResult {
  /** The share of one CPU the server under test used during the run, 0–1. */
  cpu: number;
}

/**
 * One wrk run, with the CPU the server's process tree used meanwhile. When
 * the server is not the bottleneck (wrk's core saturates first, as with
 * large bodies), requests per second tell about the load side; CPU per
 * request still tells what the server spent.
 */
export async function measure(load: Omit<Load, 'seconds'>, seconds: number, pid: number): Promise<Run> {
  const before = cpuTicks(pid);
  const started = performance.now();
  const result = await wrk({ ...load, seconds });
  const cpu = (cpuTicks(pid) - before) / TICKS_PER_SECOND / ((performance.now() - started) / 1000);
  return { ...result, cpu };
}

// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s.
const TICKS_PER_SECOND = 100;

/** User plus system CPU time so far of a process and its descendants (workerd under miniflare), in ticks. */
function cpuTicks(pid: number): number {
  let ticks = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    for (const child of childrenOf(pid)) ticks += cpuTicks(child);
  } catch {
    // The process ended meanwhile.
  }
  return ticks;
}
