// One edge process of redis-concurrency-store.test.ts: '/slow' and
// '/quick' share one limit of 2 requests in flight per `x-client` value,
// counted in the Redis at argv[3] with leases of argv[4] ms. A '/slow'
// answer sends a line, then holds its body open until '/finish' ends every
// one this process holds. Prints "ready" once it listens on argv[2].
import { serve } from '@gatehouse/node';
import { createClient } from 'redis';
import { defineEdge } from '../define-edge.ts';
import { redisConcurrencyStore } from './redis-concurrency-store.ts';

const [port, redisUrl, ttl] = process.argv.slice(2);
const redis = await createClient({ url: redisUrl }).connect();
redis.on('error', (error: Error) => console.error(`redis: ${error.message}`));
const concurrency = { max: 2, key: { header: 'x-client' }, zone: 'downloads', store: redisConcurrencyStore(redis, { ttl: Number(ttl) }) };
const held = new Set<ReadableStreamDefaultController<Uint8Array>>();
const edge = defineEdge({
  routes: {
    '/slow': {
      fetch: () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('started\n'));
              held.add(controller);
            },
          }),
        ),
      concurrency,
    },
    '/quick': { respond: `edge ${process.pid}`, concurrency },
    '/finish': {
      fetch: () => {
        const count = held.size;
        for (const controller of held) controller.close();
        held.clear();
        return new Response(`finished ${count}`);
      },
    },
  },
});
await serve(edge, { port: Number(port), hostname: '127.0.0.1' });
console.log('ready');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
