import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, table } from './stats.ts';
import { type LoadResult, wrk } from './wrk.ts';

/**
 * The application container (startContainer / gatehouse start) against a
 * bare `serve`, in two settings:
 *
 * - pinned: every server on one CPU, wrk on the other. One worker behind the
 *   container against `serve` alone shows what the primary costs; `serve`
 *   with the container's default request timeout shows what its timer costs.
 * - shared: nothing pinned, so servers and wrk share both CPUs. Two workers
 *   against one shows what a second worker gives on a machine this size,
 *   where the load generator needs a core of its own too.
 */

interface Contender {
  readonly name: string;
  readonly args: readonly string[];
}

const BARE: Contender = { name: 'serve (one process)', args: ['gatehouse.ts'] };
const TIMED: Contender = { name: 'serve + 30 s handlerTimeout', args: ['gatehouse.ts', '30000'] };
const ONE: Contender = { name: 'container, 1 worker', args: ['container.ts', '1'] };
const TWO: Contender = { name: 'container, 2 workers', args: ['container.ts', '2'] };

export interface ContainerBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  serverCpu: number;
  loadCpu: number;
}

export async function benchContainer(options: ContainerBenchOptions): Promise<void> {
  console.log(
    `\n## Node application container: ${options.rounds} rounds × ${options.seconds} s, wrk -t1 -c${options.connections}, hello-text`,
  );
  const pinned = await measure([BARE, TIMED, ONE], options, options.serverCpu, options.loadCpu);
  const shared = await measure([BARE, ONE, TWO], options, undefined, undefined);

  const bare = pinned.get(BARE.name)!;
  const one = pinned.get(ONE.name)!;
  console.log(`\n### Cost of the primary (server on CPU ${options.serverCpu}, wrk on CPU ${options.loadCpu}; medians)\n`);
  console.log(
    table(
      ['server', 'req/s', 'p99', 'vs serve'],
      [BARE, TIMED, ONE].map((c) => {
        const r = pinned.get(c.name)!;
        return [c.name, r.rps.toFixed(0), `${r.p99.toFixed(2)} ms`, `${(r.rps / bare.rps).toFixed(2)}×`];
      }),
    ),
  );
  console.log(`\ncontainer ÷ serve: ${(one.rps / bare.rps).toFixed(2)}×`);

  const sharedOne = shared.get(ONE.name)!;
  console.log('\n### Workers (nothing pinned: servers and wrk share the 2 CPUs; medians)\n');
  console.log(
    table(
      ['server', 'req/s', 'p99', 'vs 1 worker'],
      [BARE, ONE, TWO].map((c) => {
        const r = shared.get(c.name)!;
        return [c.name, r.rps.toFixed(0), `${r.p99.toFixed(2)} ms`, `${(r.rps / sharedOne.rps).toFixed(2)}×`];
      }),
    ),
  );
  console.log(`\n2 workers ÷ 1 worker: ${(shared.get(TWO.name)!.rps / sharedOne.rps).toFixed(2)}×`);
}

async function measure(
  contenders: readonly Contender[],
  options: ContainerBenchOptions,
  serverCpu: number | undefined,
  loadCpu: number | undefined,
): Promise<Map<string, { rps: number; p99: number }>> {
  const runs = new Map<string, LoadResult[]>();
  // One at a time: two-worker servers would otherwise compete with each other.
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, contender] of contenders.entries()) {
      const port = 22000 + i;
      const child = await start(contender, port, serverCpu);
      try {
        const load = { url: `http://127.0.0.1:${port}/hello`, connections: options.connections, cpu: loadCpu };
        await wrk({ ...load, seconds: 1 }); // warm the JIT up
        const result = await wrk({ ...load, seconds: options.seconds });
        runs.set(contender.name, [...(runs.get(contender.name) ?? []), result]);
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  }
  return new Map(
    [...runs].map(([name, results]) => [
      name,
      { rps: median(results.map((r) => r.requestsPerSecond)), p99: median(results.map((r) => r.p99)) },
    ]),
  );
}

async function start(contender: Contender, port: number, cpu: number | undefined): Promise<ChildProcess> {
  const [file, ...rest] = contender.args;
  const script = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
  const command = [process.execPath, '--conditions=@gatehouse/source', script, String(port), ...rest];
  const child =
    cpu === undefined
      ? spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(cpu), ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = once(lines, 'line');
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${contender.name} exited with ${code} before it was ready`);
  });
  await Promise.race([ready, exited]);
  return child;
}
