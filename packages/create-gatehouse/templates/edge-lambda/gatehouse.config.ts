// The two tiers, as `gatehouse dev` runs them on this machine: the edge of
// wrangler.toml in workerd, in front of the function of src/handler.ts
// behind a local Function URL.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml', port: Number(process.env.PORT ?? 8787) },
  origins: {
    // Its URL reaches the edge as the Worker var ORIGIN.
    app: { kind: 'lambda', entry: './src/handler.ts', source: 'function-url' },
  },
});
