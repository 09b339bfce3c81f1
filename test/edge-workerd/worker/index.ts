// The edge as a Worker, for the tests in ../edge.test.ts: static files from
// the real assets binding, proxying to real Node origins given in vars.
import { type RateLimitBinding, worker, workersRateLimitStore } from '@gatehouse/cloudflare';
import { assetsBinding, defineEdge, securityHeaders } from '@gatehouse/edge';

interface Env {
  ASSETS: Fetcher;
  /** Comma-separated origin URLs of the `app` pool. */
  ORIGINS: string;
  /** The origin of the `slow` pool. */
  SLOW_ORIGIN: string;
  /** The Worker of the `svc` pool (bound only in wrangler.service.toml). */
  ORIGIN_SERVICE?: Fetcher;
  /** The rate-limiting binding: 3 a minute per key. */
  LIMITER: RateLimitBinding;
}

export default worker(
  defineEdge((env: Env) => ({
    assets: assetsBinding(env.ASSETS),
    status: { path: '/_status', token: 'status-token' },
    pools: {
      app: { servers: env.ORIGINS.split(','), failTimeout: 30_000 },
      slow: { servers: [env.SLOW_ORIGIN], responseTimeout: 1_000 },
      svc: { servers: [{ binding: 'ORIGIN_SERVICE' }] },
    },
    routes: {
      '= /healthz': { respond: 'ok' },
      // Route rules (access, methods, limits, headers), as on Node.
      '= /rules/admin': { respond: 'admin', access: ['allow 127.0.0.1', 'allow ::1', 'deny all'] },
      '= /rules/private': { respond: 'private', access: ['allow 10.0.0.0/8', 'deny all'] },
      '^~ /rules/upload': { proxy: 'app', maxBodySize: 1_000, methods: ['POST'] },
      '^~ /rules/headed/': { proxy: 'app', headers: securityHeaders },
      '= /rules/secure': { respond: 'secure', https: { redirect: 301, hsts: { maxAge: 600 } } },
      // hashPassword('open sesame'), 100,000 iterations: the most workerd's PBKDF2 takes.
      '= /rules/staff': {
        respond: 'staff',
        basicAuth: { realm: 'Staff', users: { ada: 'pbkdf2-sha256$100000$1MMPXIzW+AsqxC8KEJ6/0g==$uJo/x5TQYbuCM0urn78XW3eGGLbocdspiqodpQktvBE=' } },
      },
      '^~ /rules/cors/': { proxy: 'app', cors: { origins: ['https://app.example.com'], credentials: true } },
      '= /rules/limited': { respond: 'limited', rateLimit: { rate: 1, key: { header: 'x-client' }, store: workersRateLimitStore(env.LIMITER, 60) } },
      '^~ /assets/': { static: true },
      '/api/': { proxy: 'app' },
      '/slow/': { proxy: 'slow' },
      '^~ /svc/': { proxy: { pool: 'svc', stripPrefix: '/svc' } },
      '/': { tryFiles: 'app' },
    },
  })),
);
