import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  requestsPerSecond: number;
  /** 99th percentile latency, in milliseconds. */
  p99: number;
}

export interface Load {
  url: string;
  seconds: number;
  connections: number;
  /** The CPU the load generator is pinned to; unpinned when undefined. */
  cpu: number | undefined;
  method?: 'GET' | 'POST';
  body?: string;
  contentType?: string;
  /** Request header fields, e.g. `{ 'Accept-Encoding': 'gzip' }`. */
  headers?: Readonly<Record<string, string>>;
}

/** Make sure wrk is there; on a Debian machine where we are root, install it. */
export function ensureWrk(): void {
  if (has('wrk')) return;
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.log('wrk is missing: installing it from Debian…');
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit' });
    if (has('wrk')) return;
  }
  throw new Error('The benchmarks need wrk (Debian: apt-get install wrk).');
}

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let scripts: string | undefined;

/** One wrk run, pinned with taskset to `load.cpu` when it is given. */
export async function wrk(load: Load): Promise<LoadResult> {
  const pin = load.cpu === undefined ? [] : ['taskset', '-c', String(load.cpu)];
  const args = [...pin, 'wrk', '-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency', '--timeout', '10s'];
  if (load.method === 'POST') {
    scripts ??= mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
    const script = join(scripts, `post-${load.body!.length}-${(load.contentType ?? "json").replace(/\W/g, "-")}.lua`);
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(load.body)}\nwrk.headers["Content-Type"] = ${JSON.stringify(load.contentType ?? 'application/json')}\n`,
    );
    args.push('-s', script);
  }
  for (const [name, value] of Object.entries(load.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(load.url);
  const { stdout } = await run(args[0]!, args.slice(1));
  return parseWrk(stdout);
}

export function parseWrk(output: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  if (rps === null || p99 === null) throw new Error(`Could not read wrk's output:\n${output}`);
  if (/Non-2xx or 3xx responses/.test(output) || /Socket errors/.test(output)) {
    throw new Error(`wrk saw errors:\n${output}`);
  }
  const scale = p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1;
  return { requestsPerSecond: Number(rps[1]), p99: Number(p99[1]) * scale };
}
