// The demo's two tiers, as `gatehouse dev` runs them: the edge of
// wrangler.toml in workerd, in front of the Hono app in the Node container.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml', port: Number(process.env.PORT ?? 8787) },
  origins: {
    app: { kind: 'node', entry: './src/app.ts' },
  },
  // Inside this repository, the @gatehouse packages run from their sources.
  conditions: ['@gatehouse/source'],
});
