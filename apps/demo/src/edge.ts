// The demo's edge, as its wrangler.toml deploys it: /assets/ from the
// files in apps/demo/public, /api/ to the app servers, and everything else
// from a file when there is one, else from the app servers.
import { assetsBinding, defineEdge, type AssetsFetcher } from '@gatehouse/edge';

export interface EdgeEnv {
  /** The Workers static-assets binding over apps/demo/public. */
  ASSETS: AssetsFetcher;
  /** The app servers, comma-separated (a var in wrangler.toml). */
  ORIGIN?: string;
}

export const edge = defineEdge((env: EdgeEnv) => ({
  assets: assetsBinding(env.ASSETS),
  pools: {
    app: { servers: (env.ORIGIN || 'http://127.0.0.1:3000').split(',') },
  },
  routes: {
    '^~ /assets/': { static: true },
    '/api/': { proxy: 'app' },
    '/': { tryFiles: 'app' },
  },
}));
