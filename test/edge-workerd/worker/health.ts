// The edge as a Worker with active health checks, for ../health-cron.test.ts:
// its cron trigger runs `checkPool` on the `app` pool through worker()'s
// `scheduled`, and the proxied requests that follow in the same isolate
// see what the probes found.
import { worker } from '@gatehouse/cloudflare';
import { defineEdge } from '@gatehouse/edge';

interface Env {
  /** Comma-separated origin URLs of the `app` pool. */
  ORIGINS: string;
}

export default worker(
  defineEdge((env: Env) => ({
    pools: {
      app: {
        servers: env.ORIGINS.split(','),
        // The cron runs every minute: a server stays down until a probe
        // passes, or two missed runs later.
        healthCheck: { path: '/healthz', interval: 60_000, timeout: 1_000 },
      },
    },
    routes: {
      '/api/': { proxy: 'app' },
    },
  })),
);
