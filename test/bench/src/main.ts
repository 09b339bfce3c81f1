import { benchNodeHttp } from './node-http.ts';
import { ensureWrk } from './wrk.ts';

// Knobs for a quick look (BENCH_SECONDS=2 BENCH_ROUNDS=1); the defaults are what the README quotes.
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

ensureWrk();
console.log(`# Gatehouse benchmarks (Node ${process.version}, ${new Date().toISOString()})`);
await benchNodeHttp({ seconds, rounds, connections: 64, serverCpu: 0, loadCpu: 1 });
