// The edge, as a Cloudflare Worker: files from public/ (the assets binding),
// /api/ to the origin's servers, and any other path from a file when there
// is one, else from the origin (nginx's try_files $uri @app).
import { worker } from '@gatehouse/cloudflare';
import { assetsBinding, defineEdge, type AssetsFetcher } from '@gatehouse/edge';

interface Env {
  ASSETS: AssetsFetcher;
  /** The origin's servers, comma-separated (wrangler.toml's [vars]). */
  ORIGIN: string;
}

export default worker(
  defineEdge((env: Env) => ({
    assets: assetsBinding(env.ASSETS),
    pools: { app: { servers: env.ORIGIN.split(',') } },
    routes: {
      '/api/': { proxy: 'app' },
      '/': { tryFiles: 'app' },
    },
  })),
);
