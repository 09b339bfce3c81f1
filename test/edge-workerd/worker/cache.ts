// The edge's proxy cache in workerd, kept in the Cache API (caches.default).
import { worker, workersCacheStore } from '@gatehouse/cloudflare';
import { defineEdge } from '@gatehouse/edge';

interface Env {
  /** The test's origin on Node. */
  ORIGIN: string;
}

export default worker(
  defineEdge((env: Env) => {
    const store = workersCacheStore();
    return {
      pools: { app: { servers: [env.ORIGIN], failTimeout: 60_000 } },
      status: { path: '/_status', token: 'look' },
      routes: {
        '/': { proxy: { pool: 'app', onError: () => {}, cache: { store, purge: { token: 'purge-me' } } } },
      },
    };
  }),
);
