// The App in the application container: `gatehouse dev` runs it with one
// worker and reloads it on a save; `gatehouse start` runs it in production.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  origins: {
    app: { kind: 'node', entry: './src/app.ts', port: Number(process.env.PORT ?? 3000) },
  },
  start: { app: './src/app.ts' },
});
