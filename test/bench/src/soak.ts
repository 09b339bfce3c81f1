// The soak: about a million requests of a hello and of a 100 KiB stream,
// and 100k clients that leave mid-body, through serve() and through the
// edge on each transport, with the server's memory before and after each, beside
// nginx's on the same run. Memory, not speed: it shows what grows.
//   npm run soak --workspace @gatehouse/bench
//   SOAK_REQUESTS (1M) and SOAK_LEAVERS (100k: a client that leaves costs a
//   connection, so these run at a few thousand a second); 20000 and 2000 for a quick look.
//   SOAK_ONLY=serve,fetch,http1,undici,nginx picks targets; SOAK_NODE_FLAGS
//   adds flags to the Node targets (e.g. --max-semi-space-size=4).
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureNginx, startNginx } from './edge.ts';
import { table } from './stats.ts';
import { ensureWrk } from './wrk.ts';

const requests = Number(process.env.SOAK_REQUESTS ?? 1_000_000);
const leavers = Number(process.env.SOAK_LEAVERS ?? 100_000);
const nodeFlags = (process.env.SOAK_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const run = promisify(execFile);
const SERVER_CPU = 0;
const LOAD_CPU = 1;

interface Memory {
  rss: number;
  heapUsed?: number;
}

interface Target {
  name: string;
  port: number;
  memory(): Promise<Memory>;
  stop(): void;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** A Node process under soak, on the server CPU, that reports its memory after a GC. */
async function nodeTarget(kind: string, port: number, origin: string): Promise<Target> {
  const child = fork(here('./soak/target.ts'), [kind, String(port), origin], {
    execArgv: ['--expose-gc', '--conditions=@gatehouse/source', ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before it was ready`)));
  });
  await run('taskset', ['-pc', String(SERVER_CPU), String(child.pid)]);
  return {
    name: kind === 'serve' ? 'serve() (the App itself)' : `edge, ${kind}Transport`,
    port,
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (memory) => resolve(memory as Memory));
        child.send('measure');
      }),
    stop: () => child.kill('SIGKILL'),
  };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * About `count` requests of `path` with wrk (64 connections). wrk runs for
 * a time, not a count: a 2 s run gives the rate, and the run lasts as long
 * as that rate takes to reach the count.
 */
async function wrkCount(port: number, path: string, count: number): Promise<{ answered: number; seconds: number }> {
  const once = async (seconds: number): Promise<{ answered: number; seconds: number }> => {
    const { stdout } = await run('taskset', ['-c', String(LOAD_CPU), 'wrk', '-t1', '-c64', `-d${seconds}s`, `http://127.0.0.1:${port}${path}`]);
    // wrk writes the time as 950.00ms, 12.34s or 1.02m.
    const match = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(stdout)!;
    return { answered: Number(match[1]), seconds: Number(match[2]) * { ms: 0.001, s: 1, m: 60 }[match[3] as 'ms' | 's' | 'm'] };
  };
  const probe = await once(2);
  const rest = count - probe.answered;
  if (rest <= 0) return probe;
  const main = await once(Math.max(1, Math.round(rest / (probe.answered / probe.seconds))));
  return { answered: probe.answered + main.answered, seconds: probe.seconds + main.seconds };
}

async function leave(port: number, count: number): Promise<{ answered: number; seconds: number }> {
  const started = performance.now();
  const { stdout } = await run('taskset', ['-c', String(LOAD_CPU), process.execPath, here('./soak/leavers.ts'), String(port), String(count), '32']);
  const { gotPiece } = JSON.parse(stdout) as { started: number; gotPiece: number };
  return { answered: gotPiece, seconds: (performance.now() - started) / 1000 };
}

const scenarios: { name: string; count: number; load: (port: number, count: number) => Promise<{ answered: number; seconds: number }> }[] = [
  { name: 'hello', count: requests, load: (port, count) => wrkCount(port, '/', count) },
  { name: '100 KiB stream', count: requests, load: (port, count) => wrkCount(port, '/stream', count) },
  { name: 'leave mid-body', count: leavers, load: leave },
];

ensureWrk();
ensureNginx();
console.log(
  `# Gatehouse soak (Node ${process.version}, ${new Date().toISOString()}): ${requests} requests per scenario, ${leavers} leavers` +
    (nodeFlags.length > 0 ? `, Node targets with ${nodeFlags.join(' ')}` : ''),
);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-nginx-'));
mkdirSync(join(dir, 'static'));
writeFileSync(join(dir, 'static/1k.txt'), 'x'.repeat(1024));
const originPort = 24000;
const origin: ChildProcess = spawn('taskset', ['-c', String(LOAD_CPU), process.execPath, '--conditions=@gatehouse/source', here('./soak/origin.ts'), String(originPort)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const cleanups: (() => void)[] = [() => origin.kill('SIGKILL'), () => rmSync(dir, { recursive: true, force: true })];
process.once('exit', () => cleanups.forEach((cleanup) => cleanup()));
await new Promise((resolve) => origin.stdout!.once('data', resolve));
const originUrl = `http://127.0.0.1:${originPort}`;

const rows: string[][] = [];
const kinds = (process.env.SOAK_ONLY ?? 'serve,fetch,http1,undici,nginx').split(',');
for (const [index, kind] of kinds.entries()) {
  const port = 24001 + index;
  let target: Target;
  if (kind === 'nginx') {
    const nginx = await startNginx(dir, port, originPort, SERVER_CPU);
    target = { name: 'nginx 1 worker', port, memory: async () => ({ rss: rssOf(nginx.pid!) }), stop: () => nginx.kill('SIGKILL') };
  } else {
    target = await nodeTarget(kind, port, originUrl);
  }
  cleanups.push(() => target.stop());
  let before = await target.memory();
  const first = before.rss;
  for (const scenario of scenarios) {
    const { answered, seconds } = await scenario.load(port, scenario.count);
    const after = await target.memory();
    rows.push([
      target.name,
      scenario.name,
      String(answered),
      `${Math.round(answered / seconds)}`,
      mib(before.rss),
      mib(after.rss),
      after.heapUsed === undefined ? '—' : mib(after.heapUsed),
    ]);
    console.log(`${target.name}, ${scenario.name}: ${answered} in ${seconds.toFixed(1)} s, RSS ${mib(before.rss)} → ${mib(after.rss)}`);
    before = after;
  }
  rows.push([target.name, 'all three', '', '', mib(first), mib(before.rss), before.heapUsed === undefined ? '—' : mib(before.heapUsed)]);
  target.stop();
}
console.log('\n### Memory of the server under soak (RSS before → after each scenario; heap after a full GC)\n');
console.log(table(['server', 'scenario', 'answered', 'req/s', 'RSS before', 'RSS after', 'heap after GC'], rows));
process.exit(0);
