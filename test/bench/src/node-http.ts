import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, table } from './stats.ts';
import { type LoadResult, wrk } from './wrk.ts';

/**
 * @gatehouse/node against its peers and raw node:http, over real sockets.
 * Every server runs on one CPU and wrk on the other, so they never compete
 * for a core; rounds alternate between servers so drift hits all alike.
 */

const SERVERS = [
  { name: 'raw node:http', file: 'raw-node.ts' },
  { name: '(floor: real Request/Response)', file: 'genuine-floor.ts' },
  { name: '@gatehouse/node', file: 'gatehouse.ts' },
  { name: '@hono/node-server', file: 'hono-node-server.ts' },
  { name: '@hono/node-server (globals kept)', file: 'hono-node-server-globals-kept.ts' },
  { name: 'srvx', file: 'srvx.ts' },
] as const;

const ECHO_BODY = JSON.stringify({
  id: 12345,
  name: 'Gatehouse',
  tags: ['edge', 'origin', 'adapter'],
  owner: { login: 'ada', admin: true },
  items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1, price: 9.99 + i })),
});

const SCENARIOS = [
  { name: 'hello-text', path: '/hello' },
  { name: 'JSON echo (POST)', path: '/echo', method: 'POST', body: ECHO_BODY },
  { name: '100 KiB stream', path: '/stream' },
] as const;

export interface NodeHttpOptions {
  seconds: number;
  rounds: number;
  connections: number;
  serverCpu: number;
  loadCpu: number;
}

export async function benchNodeHttp(options: NodeHttpOptions): Promise<void> {
  console.log(
    `\n## Node HTTP adapters: ${options.rounds} rounds × ${options.seconds} s, wrk -t1 -c${options.connections}, ` +
      `server on CPU ${options.serverCpu}, wrk on CPU ${options.loadCpu}`,
  );
  // Ports below Linux's ephemeral range (32768–60999), which an outgoing connection may hold.
  const started = await Promise.allSettled(SERVERS.map((server, i) => start(server.file, 21000 + i, options.serverCpu)));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    // Leave nothing behind when one of them could not start.
    for (const child of running) child.kill();
    throw failed.reason;
  }
  try {
    for (const scenario of SCENARIOS) {
      const results = new Map<string, LoadResult[]>();
      for (let round = 0; round < options.rounds; round++) {
        for (const [i, server] of SERVERS.entries()) {
          const load = {
            url: `http://127.0.0.1:${21000 + i}${scenario.path}`,
            connections: options.connections,
            cpu: options.loadCpu,
            ...('method' in scenario ? { method: scenario.method, body: scenario.body } : {}),
          };
          if (round === 0) await wrk({ ...load, seconds: 1 }); // warm the JIT up
          const result = await wrk({ ...load, seconds: options.seconds });
          results.set(server.name, [...(results.get(server.name) ?? []), result]);
        }
      }
      report(scenario.name, results);
    }
  } finally {
    for (const child of running) child.kill();
  }
}

function report(scenario: string, results: Map<string, LoadResult[]>): void {
  const summary = new Map(
    [...results].map(([name, runs]) => [
      name,
      { rps: median(runs.map((r) => r.requestsPerSecond)), p99: median(runs.map((r) => r.p99)) },
    ]),
  );
  const raw = summary.get('raw node:http')!.rps;
  const ours = summary.get('@gatehouse/node')!.rps;
  const rows = [...summary].map(([name, { rps, p99 }]) => [
    name,
    rps.toFixed(0),
    `${p99.toFixed(2)} ms`,
    `${(rps / raw).toFixed(2)}×`,
    name === '@gatehouse/node' ? '' : `${(ours / rps).toFixed(2)}×`,
  ]);
  console.log(`\n### ${scenario} (medians)\n`);
  console.log(table(['server', 'req/s', 'p99', 'vs raw', 'ours ÷ this'], rows));
}

async function start(file: string, port: number, cpu: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, '--conditions=@gatehouse/source', script, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = once(lines, 'line');
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${file} exited with ${code} before it was ready`);
  });
  await Promise.race([ready, exited]);
  return child;
}
