import { benchContainer } from './container.ts';
import { benchEdge, ensureNginx } from './edge.ts';
import { benchLambda } from './lambda.ts';
import { benchNodeHttp } from './node-http.ts';
import { ensureWrk } from './wrk.ts';

// Knobs for a quick look (BENCH_SECONDS=2 BENCH_ROUNDS=1); the defaults are what the README quotes.
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

// Pick one part with BENCH_ONLY=node, BENCH_ONLY=container, BENCH_ONLY=lambda or BENCH_ONLY=edge
// (and in the edge part, rows whose name has a text with BENCH_EDGE_ROWS, e.g. BENCH_EDGE_ROWS=cache).
const only = process.env.BENCH_ONLY;

console.log(`# Gatehouse benchmarks (Node ${process.version}, ${new Date().toISOString()})`);
if (only === undefined || only === 'node') {
  ensureWrk();
  await benchNodeHttp({ seconds, rounds, connections: 64, serverCpu: 0, loadCpu: 1 });
}
if (only === undefined || only === 'container') {
  ensureWrk();
  await benchContainer({ seconds, rounds, connections: 64, serverCpu: 0, loadCpu: 1 });
}
if (only === undefined || only === 'lambda') {
  await benchLambda({ seconds: Math.min(seconds, 3), rounds, cpu: 0 });
}
if (only === undefined || only === 'edge') {
  ensureWrk();
  ensureNginx();
  await benchEdge({ seconds, rounds, connections: 64, serverCpu: 0, loadCpu: 1 });
}
