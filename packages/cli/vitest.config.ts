import { defineConfig } from 'vitest/config';

// As the shared config, without the "module" condition: Node would resolve
// the AWS SDK to its bundler build (dist-es), whose imports have no extensions.
const conditions = ['@gatehouse/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@gatehouse/source'] } },
});
