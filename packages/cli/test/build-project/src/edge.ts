import { worker } from '@gatehouse/cloudflare';
import { assetsBinding, defineEdge, type AssetsFetcher } from '@gatehouse/edge';

export default worker(
  defineEdge((env: { ASSETS: AssetsFetcher; ORIGIN: string }) => ({
    assets: assetsBinding(env.ASSETS),
    pools: { api: { servers: env.ORIGIN.split(',') } },
    routes: {
      '/api/': { proxy: 'api' },
      '/': { static: true },
    },
  })),
);
