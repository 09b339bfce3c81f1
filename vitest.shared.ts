import { defineConfig } from 'vitest/config';

/**
 * What every workspace's tests share: workspace packages resolve to their
 * TypeScript sources (the "@gatehouse/source" export condition), never to a stale dist/.
 */
export const sourceConditions = ['@gatehouse/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@gatehouse/source'] } },
});
