import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FLOOR, FLOOR_BACKPRESSURE, KEEP_GLOBALS, NODE_SERVERS, OURS, RAW } from './node-servers.ts';
import { API_ORIGIN, API_TOKEN, STATIC_DIR, writeStaticFile } from './realistic-app.ts';
import { measure, type Run } from './server-cpu.ts';
import { median, table } from './stats.ts';
import type { Load } from './wrk.ts';

/**
 * @gatehouse/node against its peers and raw node:http, over real sockets.
 * Every server runs on one CPU and wrk on the other, so they never compete
 * for a core; rounds alternate between servers so drift hits all alike.
 */

const ECHO_BODY = JSON.stringify({
  id: 12345,
  name: 'Gatehouse',
  tags: ['edge', 'origin', 'adapter'],
  owner: { login: 'ada', admin: true },
  items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1, price: 9.99 + i })),
});

const API_HEADERS = { Authorization: `Bearer ${API_TOKEN}`, Origin: API_ORIGIN };

interface Scenario {
  name: string;
  path: string;
  method?: 'POST';
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Fewer connections than the rest, where each request carries a large body. */
  connections?: number;
  /**
   * What the row is held to: `floor` rows measure the adapter alone (the
   * goal is the genuine-object floor), `app` rows an App like a real one
   * (the goal is the fastest peer that keeps the globals).
   */
  goal: 'floor' | 'app';
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'hello-text', path: '/hello', goal: 'floor' },
  { name: 'JSON echo (POST)', path: '/echo', method: 'POST', body: ECHO_BODY, goal: 'floor' },
  { name: '100 KiB stream', path: '/stream', goal: 'floor' },
  // realistic-app.ts: Hono with logger, CORS and a bearer-token check, answering 10 KB of JSON.
  { name: 'Hono API: logger, CORS, auth, 10 KB JSON', path: '/api/items', headers: API_HEADERS, goal: 'app' },
  {
    name: '1 MiB upload read as arrayBuffer()',
    path: '/api/upload',
    method: 'POST',
    body: 'x'.repeat(1024 * 1024),
    contentType: 'application/octet-stream',
    headers: API_HEADERS,
    // 64 uploads of 1 MiB at once would queue for seconds behind each other.
    connections: 16,
    goal: 'app',
  },
  // @hono/node-server's serveStatic: a file stream the App returns as the Response's body.
  { name: 'static file (40 KiB) read by the App', path: '/static/app.js', goal: 'app' },
];

export interface NodeHttpOptions {
  seconds: number;
  rounds: number;
  connections: number;
  serverCpu: number;
  loadCpu: number;
  /** The Node binary the servers run on. */
  node: string;
}

interface Summary {
  rps: number;
  p99: number;
  cpu: number;
}

/** Per scenario, per server: the medians of the rounds. */
export type NodeHttpResults = Map<string, Map<string, Summary>>;

export async function benchNodeHttp(options: NodeHttpOptions): Promise<NodeHttpResults> {
  const version = await nodeVersion(options.node);
  console.log(
    `\n## Node HTTP adapters on Node ${version}: ${options.rounds} rounds × ${options.seconds} s, wrk -t1 -c${options.connections}, ` +
      `server on CPU ${options.serverCpu}, wrk on CPU ${options.loadCpu}`,
  );
  writeStaticFile();
  // Ports below Linux's ephemeral range (32768–60999), which an outgoing connection may hold.
  const started = await Promise.allSettled(NODE_SERVERS.map((server, i) => start(options.node, server.file, server.args, 21000 + i, options.serverCpu)));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    // Leave nothing behind when one of them could not start.
    for (const child of running) child.kill();
    throw failed.reason;
  }
  const all: NodeHttpResults = new Map();
  try {
    for (const scenario of SCENARIOS) {
      const runs = new Map<string, Run[]>();
      for (let round = 0; round < options.rounds; round++) {
        for (const [i, server] of NODE_SERVERS.entries()) {
          if (server.rows !== undefined && !server.rows.includes(scenario.name)) continue;
          const load: Omit<Load, 'seconds'> = {
            url: `http://127.0.0.1:${21000 + i}${scenario.path}`,
            connections: scenario.connections ?? options.connections,
            cpu: options.loadCpu,
            method: scenario.method,
            body: scenario.body,
            contentType: scenario.contentType,
            headers: scenario.headers,
          };
          if (round === 0) await measure(load, 2, running[i]!.pid!); // warm the JIT up
          const run = await measure(load, options.seconds, running[i]!.pid!);
          runs.set(server.name, [...(runs.get(server.name) ?? []), run]);
        }
      }
      const summary = new Map(
        [...runs].map(([name, each]) => [
          name,
          {
            rps: median(each.map((r) => r.requestsPerSecond)),
            p99: median(each.map((r) => r.p99)),
            cpu: median(each.map((r) => r.cpu)),
          },
        ]),
      );
      all.set(scenario.name, summary);
      report(scenario, summary);
    }
  } finally {
    for (const child of running) child.kill();
    rmSync(STATIC_DIR, { recursive: true, force: true });
  }
  summarise(all);
  return all;
}

function report(scenario: Scenario, summary: Map<string, Summary>): void {
  const raw = summary.get(RAW)!.rps;
  const ours = summary.get(OURS)!;
  const rows = [...summary].map(([name, { rps, p99, cpu }]) => [
    name,
    rps.toFixed(0),
    `${p99.toFixed(2)} ms`,
    `${(cpu * 100).toFixed(0)} %`,
    `${((cpu / rps) * 1e6).toFixed(1)} µs`,
    `${(rps / raw).toFixed(2)}×`,
    name === OURS ? '' : `${(ours.rps / rps).toFixed(2)}×`,
  ]);
  console.log(`\n### ${scenario.name} (medians)\n`);
  console.log(table(['server', 'req/s', 'p99', 'server CPU', 'CPU/req', 'vs raw', 'ours ÷ this'], rows));
  // Who is ahead among the adapters (raw node:http and the floors are yardsticks, not peers), and among those that keep the globals.
  const peers = [...summary].filter(([name]) => name !== RAW && name !== FLOOR && name !== FLOOR_BACKPRESSURE && name !== OURS);
  const lead = (among: typeof peers, label: string): string => {
    const [leader, best] = among.reduce((a, b) => (b[1].rps > a[1].rps ? b : a));
    return best.rps > ours.rps
      ? `${label}: ${leader} is ahead of ${OURS} by ${((best.rps / ours.rps - 1) * 100).toFixed(0)} %`
      : `${label}: ${OURS} is ahead of each, of the nearest (${leader}) by ${((ours.rps / best.rps - 1) * 100).toFixed(0)} %`;
  };
  console.log(lead(peers, 'all peers'));
  console.log(lead(peers.filter(([name]) => KEEP_GLOBALS.includes(name)), 'peers that keep the globals'));
}

/** The goals, one line per row. */
function summarise(all: NodeHttpResults): void {
  const rows = SCENARIOS.flatMap((scenario) => {
    const summary = all.get(scenario.name)!;
    const ours = summary.get(OURS)!;
    const line = (against: string, goal: number): string[] => {
      const theirs = summary.get(against)!;
      const ratio = ours.rps / theirs.rps;
      // Both ratios: where wrk's core saturates before the server's (large bodies), req/s says less than CPU per request.
      const perCpu = theirs.cpu / theirs.rps / (ours.cpu / ours.rps);
      return [scenario.name, against, `≥ ${goal}×`, `${ratio.toFixed(2)}×`, `${perCpu.toFixed(2)}×`, ratio >= goal ? 'MET' : 'NOT MET'];
    };
    if (scenario.goal === 'app') {
      const fastest = KEEP_GLOBALS.reduce((a, b) => (summary.get(b)!.rps > summary.get(a)!.rps ? b : a));
      return [line(fastest, 0.9)];
    }
    // Where the floor's answer passes Node's high-water mark, it is also set beside the floor that waits for 'drain'.
    return summary.has(FLOOR_BACKPRESSURE) ? [line(FLOOR, 0.97), line(FLOOR_BACKPRESSURE, 0.97)] : [line(FLOOR, 0.97)];
  });
  console.log(`\n### ${OURS}: the goals\n`);
  console.log(table(['row', 'against', 'goal', 'req/s ratio', 'CPU/req ratio', ''], rows));
}

async function nodeVersion(node: string): Promise<string> {
  const child = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return line.trim();
}

async function start(node: string, file: string, args: readonly string[], port: number, cpu: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
  const child = spawn('taskset', ['-c', String(cpu), node, '--conditions=@gatehouse/source', script, String(port), ...args], {
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

/** The same rows on two Node versions, side by side. */
export function compareNodeVersions(a: string, resultsA: NodeHttpResults, b: string, resultsB: NodeHttpResults): void {
  const rows: string[][] = [];
  for (const [scenario, summaryA] of resultsA) {
    const summaryB = resultsB.get(scenario)!;
    for (const [server, { rps }] of summaryA) {
      const other = summaryB.get(server)!.rps;
      rows.push([scenario, server, rps.toFixed(0), other.toFixed(0), `${(rps / other).toFixed(2)}×`]);
    }
  }
  console.log(`\n### Node ${a} against Node ${b}, req/s (medians)\n`);
  console.log(table(['row', 'server', a, b, `${a} ÷ ${b}`], rows));
}
