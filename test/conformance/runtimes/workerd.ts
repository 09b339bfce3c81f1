import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import type { RunningApp, Runtime } from '../src/runtime.ts';
import { childrenOf, peakResident } from './_process.ts';

const CONFIG = fileURLToPath(new URL('./wrangler.workerd.toml', import.meta.url));

/** The workerd processes among this process's children. */
async function workerdChildren(): Promise<string[]> {
  const pids = await childrenOf(process.pid).catch(() => []);
  const named = await Promise.all(
    pids.map(async (pid) => ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('workerd') ? pid : undefined)),
  );
  return named.filter((pid) => pid !== undefined);
}

/**
 * `worker(app)` of @gatehouse/cloudflare in real workerd, from
 * runtimes/wrangler.workerd.toml read the way `wrangler dev` reads it.
 *
 * Requests go to workerd's own socket for the Worker (miniflare's direct
 * socket), not through `wrangler dev` or miniflare's entry Worker. Those
 * stand in for Cloudflare's front with dev tools that production does not
 * have, and that change what the suite measures: measured here, the entry
 * Worker answers a thrown exception with its message and stack, drops the
 * Content-Length of a HEAD answer, and gzips text/plain for a client that
 * accepts it with an encoder that holds back small streamed chunks (the
 * lockstep test never gets chunk 0); wrangler dev adds a proxy Worker and
 * middleware bundled into the Worker that turn exceptions into a page with
 * the stack. The price of going direct: nothing sets CF-Connecting-IP.
 *
 * Bundled with esbuild under wrangler's conditions, without the dev-only
 * middleware wrangler would add.
 */
export const workerdRuntime: Runtime = {
  name: '@gatehouse/cloudflare (workerd)',
  runtimeName: 'workerd',
  limits: {
    // workerd decodes header bytes as UTF-8 (the Fetch standard keeps them as
    // bytes): measured, `Zoë ✓` sent as UTF-8 reaches the App as that text.
    // An adapter cannot undo it: a lone 0xEB (Latin-1 ë) arrives as U+FFFD.
    utf8Headers: true,
    // Measured with enable_request_signal: a client that leaves mid-body
    // fails the App's body read ("Network connection lost."), but the signal
    // stays unfired even 300 ms later with the handler still running; it
    // fires for a client that leaves mid-response.
    noMidRequestSignal: true,
    // CF-Connecting-IP comes from Cloudflare's front; workerd's own socket
    // sets nothing (see above for why the suite goes there).
    noClientAddress: true,
  },
  async start(): Promise<RunningApp> {
    // No Request.cf download: offline it waits 3 s per start.
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
    const { workerOptions, main } = unstable_getMiniflareWorkerOptions(CONFIG);
    const bundle = await build({
      entryPoints: [main!],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      // As wrangler bundles: workspace packages from their sources.
      conditions: ['@gatehouse/source', 'workerd', 'worker', 'browser'],
      write: false,
      logLevel: 'silent',
    });
    const before = new Set(await workerdChildren());
    const miniflare = new Miniflare(
      convertV4MiniflareOptions({
        host: '127.0.0.1',
        port: 0,
        workers: [
          {
            ...workerOptions,
            name: 'conformance',
            modules: [{ type: 'ESModule', path: fileURLToPath(new URL('./worker.js', import.meta.url)), contents: bundle.outputFiles[0]!.text }],
            unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
          },
        ],
      }),
    );
    try {
      await miniflare.ready;
      const url = (await miniflare.unsafeGetDirectURL('conformance')).href;
      const pids = (await workerdChildren()).filter((pid) => !before.has(pid));
      if (pids.length === 0) throw new Error('no workerd process came with the Worker');
      return { url, stop: () => miniflare.dispose(), peakMemory: () => peakResident(pids) };
    } catch (error) {
      await miniflare.dispose();
      throw error;
    }
  },
};
