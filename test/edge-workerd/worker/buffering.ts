// The edge's proxy in workerd, buffering as it does by default and streaming where a route asks.
import { worker } from '@gatehouse/cloudflare';
import { defineEdge } from '@gatehouse/edge';

interface Env {
  /** The test's origin on Node. */
  ORIGIN: string;
}

export default worker(
  defineEdge((env: Env) => ({
    pools: { app: { servers: [env.ORIGIN] } },
    routes: {
      '/streamed/': { proxy: { pool: 'app', buffering: false } },
      '/': { proxy: 'app' },
    },
  })),
);
