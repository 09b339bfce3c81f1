import type { ContainerStats } from '@gatehouse/node/container';

/** The container's stats as a table for a terminal, ending with a newline. */
export function formatStats(stats: ContainerStats, now: number = Date.now()): string {
  const rows = [['worker', 'pid', 'state', 'gen', 'requests', 'in-flight', 'memory', 'restarts', 'up']];
  for (const worker of stats.workers) {
    rows.push([
      String(worker.slot),
      String(worker.pid ?? '-'),
      worker.state,
      String(worker.generation),
      String(worker.requests),
      String(worker.inFlight),
      megabytes(worker.rss),
      String(worker.restarts),
      duration(now - worker.startedAt),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  const { scheduled } = stats;
  table.push(
    `primary ${stats.pid} · requests ${stats.requests} · restarts ${stats.restarts} · reloads ${stats.reloads} · ` +
      `retired ${stats.retired} · cron runs ${scheduled.runs} (failed ${scheduled.failures}, skipped ${scheduled.skipped})`,
  );
  return `${table.join('\n')}\n`;
}

function megabytes(bytes: number): string {
  return bytes === 0 ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}
