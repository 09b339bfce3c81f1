// The edge as a Worker, for the tests in ../edge.test.ts: static files from
// the real assets binding, proxying to real Node origins given in vars.
import { worker } from '@gatehouse/cloudflare';
import { assetsBinding, defineEdge } from '@gatehouse/edge';

interface Env {
  ASSETS: Fetcher;
  /** Comma-separated origin URLs of the `app` pool. */
  ORIGINS: string;
  /** The origin of the `slow` pool. */
  SLOW_ORIGIN: string;
  /** The Worker of the `svc` pool (bound only in wrangler.service.toml). */
  ORIGIN_SERVICE?: Fetcher;
}

export default worker(
  defineEdge((env: Env) => ({
    assets: assetsBinding(env.ASSETS),
    pools: {
      app: { servers: env.ORIGINS.split(','), failTimeout: 30_000 },
      slow: { servers: [env.SLOW_ORIGIN], responseTimeout: 1_000 },
      svc: { servers: [{ binding: 'ORIGIN_SERVICE' }] },
    },
    routes: {
      '= /healthz': { respond: 'ok' },
      '^~ /assets/': { static: true },
      '/api/': { proxy: 'app' },
      '/slow/': { proxy: 'slow' },
      '^~ /svc/': { proxy: { pool: 'svc', stripPrefix: '/svc' } },
      '/': { tryFiles: 'app' },
    },
  })),
);
