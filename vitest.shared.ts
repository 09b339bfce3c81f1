import { defineConfig, mergeConfig } from 'vitest/config';

/**
 * What every workspace's tests share: workspace packages resolve to their
 * TypeScript sources (the "@gatehouse/source" export condition), never to a stale dist/.
 */
export const sourceConditions = ['@gatehouse/source', 'module', 'node', 'development|production'];

const shared = defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@gatehouse/source'] } },
});
export default shared;

/** The shared config, for suites that start processes or wait on real timeouts: 30 s per test and per hook. */
export const slowSuite = mergeConfig(shared, defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } }));
