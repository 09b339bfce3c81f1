import { benchConnections } from './connections.ts';
import { benchContainer } from './container.ts';
import { benchEdge, ensureNginx } from './edge.ts';
import { benchLambda } from './lambda.ts';
import { benchNodeHttp, compareNodeVersions } from './node-http.ts';
import { otherNode } from './other-node.ts';
import { ensureWrk } from './wrk.ts';

// Knobs for a quick look (BENCH_SECONDS=2 BENCH_ROUNDS=1); the defaults are what the README quotes.
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

// Pick one part with BENCH_ONLY=node, BENCH_ONLY=connections, BENCH_ONLY=container, BENCH_ONLY=lambda or BENCH_ONLY=edge
// (and in the edge part, rows whose name has a text with BENCH_EDGE_ROWS, e.g. BENCH_EDGE_ROWS=cache).
const only = process.env.BENCH_ONLY;

// `npm run bench -- --node 24`: the Node adapters' rows run again on that major, for a side-by-side.
const other = otherNode(process.argv.slice(2));

console.log(`# Gatehouse benchmarks (Node ${process.version}, ${new Date().toISOString()})`);
if (only === undefined || only === 'node') {
  ensureWrk();
  const node = { seconds, rounds, connections: 64, serverCpu: 0, loadCpu: 1 };
  const ours = await benchNodeHttp({ ...node, node: process.execPath });
  if (other !== undefined) compareNodeVersions(process.version, ours, other.version, await benchNodeHttp({ ...node, node: other.binary }));
}
// Memory per held connection; part of the Node HTTP part, and on its own with BENCH_ONLY=connections.
if (only === undefined || only === 'node' || only === 'connections') {
  ensureNginx();
  await benchConnections({ node: process.execPath, serverCpu: 0, loadCpu: 1 });
  if (other !== undefined) await benchConnections({ node: other.binary, serverCpu: 0, loadCpu: 1 });
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
