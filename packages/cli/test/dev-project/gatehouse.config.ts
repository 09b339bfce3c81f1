// A two-tier project for dev.test.ts: the edge of wrangler.toml in workerd
// in front of one Node origin.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml', port: Number(process.env.EDGE_PORT ?? 0) },
  origins: {
    api: { kind: 'node', entry: './src/app.ts' },
  },
  conditions: ['@gatehouse/source'],
});
