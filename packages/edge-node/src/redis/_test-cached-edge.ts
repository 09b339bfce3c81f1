// One edge process of redis-cached-edges.test.ts: a proxy to the origin at
// argv[4] whose cache is in the Redis at argv[3], PURGE behind a token.
// Prints "ready" once it listens on argv[2].
import { serve } from '@gatehouse/node';
import { createClient } from 'redis';
import { defineEdge } from '../define-edge.ts';
import { redisCacheStore } from './redis-cache-store.ts';

const [port, redisUrl, origin] = process.argv.slice(2);
const redis = await createClient({ url: redisUrl }).connect();
const edge = defineEdge({
  pools: { app: { servers: [origin!] } },
  routes: { '/': { proxy: { pool: 'app', cache: { store: redisCacheStore(redis), purge: { token: 'purge-me' } } } } },
});
await serve(edge, { port: Number(port), hostname: '127.0.0.1' });
console.log('ready');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
