// A project for build.test.ts: an edge Worker, a Node origin and a Lambda origin.
import { defineConfig } from '@gatehouse/cli';

export default defineConfig({
  edge: { wrangler: './wrangler.toml' },
  origins: {
    api: { kind: 'node', entry: './src/app.ts', edgeVar: 'ORIGIN', url: 'https://api.example.com' },
    fn: { kind: 'lambda', entry: './src/handler.ts', edgeVar: 'FUNCTION' },
  },
  conditions: ['@gatehouse/source'],
});
