// One edge process of redis-rate-limit-store.test.ts: a route limited to
// 5 requests at once (burst 4) and then one per 100 s, its buckets in the
// Redis at argv[3]. Prints "ready" once it listens on argv[2].
import { serve } from '@gatehouse/node';
import { createClient } from 'redis';
import { defineEdge } from '../define-edge.ts';
import { redisRateLimitStore } from './redis-rate-limit-store.ts';

const [port, redisUrl] = process.argv.slice(2);
const redis = await createClient({ url: redisUrl }).connect();
const edge = defineEdge({
  routes: { '/': { respond: `edge ${process.pid}`, rateLimit: { rate: 0.01, burst: 4, store: redisRateLimitStore(redis) } } },
});
await serve(edge, { port: Number(port), hostname: '127.0.0.1' });
console.log('ready');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
