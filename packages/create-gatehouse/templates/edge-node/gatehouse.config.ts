// The two tiers, as `gatehouse dev` runs them on this machine: the edge of
// wrangler.toml in workerd, in front of the App in src/app.ts.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml', port: Number(process.env.PORT ?? 8787) },
  origins: {
    // Its URL reaches the edge as the Worker var ORIGIN: the local one in
    // dev, `url` (where you run it in production) in `gatehouse deploy`.
    app: { kind: 'node', entry: './src/app.ts', url: 'https://origin.example.com' },
  },
  // What `gatehouse start` (production, and the Dockerfile) runs.
  start: { app: './src/app.ts' },
});
