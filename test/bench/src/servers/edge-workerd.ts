import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type * as MiniflareModule from 'miniflare';

// The same edge config in workerd, through miniflare: the proxy route only
// (static files on Workers come from the assets binding, not measured here).
// Arguments: port, origin URL. workerd is miniflare's child, so it inherits
// this process's CPU affinity.
const [port, origin] = process.argv.slice(2);
// `miniflare` comes with wrangler (a dependency of test/edge-workerd); loaded
// by name at run time so that the bench runs, without this part, where it is missing.
const miniflare = 'miniflare';
const { Miniflare } = (await import(miniflare)) as typeof MiniflareModule;

const entry = `
import { worker } from '@gatehouse/cloudflare';
import { defineEdge } from '@gatehouse/edge';
export default worker(defineEdge((env) => ({
  pools: { app: { servers: [env.ORIGIN] } },
  routes: { '/': { proxy: 'app' } },
})));
`;
const bundle = await build({
  stdin: { contents: entry, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  conditions: ['@gatehouse/source', 'workerd', 'worker'],
  // As wrangler resolves packages: a dependency with only "main" (ipaddr.js) is found too.
  mainFields: ['module', 'main'],
  minify: true,
  write: false,
  logLevel: 'error',
});
const mf = new Miniflare({
  host: '127.0.0.1',
  port: Number(port),
  workers: [
    {
      config: {
        name: 'edge',
        compatibilityDate: '2025-09-01',
        manifest: { mainModule: 'edge.js', modules: { 'edge.js': { type: 'esm', contents: bundle.outputFiles[0]!.text } } },
        env: { ORIGIN: { type: 'text', value: origin! } },
      },
    },
  ],
});
await mf.ready;
console.log('ready');
process.on('SIGTERM', () => {
  void mf.dispose().finally(() => process.exit(0));
});
