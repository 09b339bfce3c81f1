import type { App } from '@gatehouse/core';
import { WorkerContext } from './_context.ts';

/**
 * A module Worker's default export, as {@link worker} makes it: `fetch`
 * always, `scheduled` only when the App has one. `ExportedHandler` is the
 * global of the Worker project's own types (`wrangler types`, or
 * `@cloudflare/workers-types`), so the two always agree.
 */
export interface GatehouseWorker<Env = {}> extends ExportedHandler<Env> {
  fetch: ExportedHandlerFetchHandler<Env>;
  scheduled?: ExportedHandlerScheduledHandler<Env>;
}

/**
 * Serve `app` as a Cloudflare Worker: use what it returns as the Worker's
 * default export.
 *
 * An App already has a module Worker's shape; this adds only what Workers
 * lacks, in the Context the App receives: `clientAddress` (the
 * `CF-Connecting-IP` header), `runtime: 'workerd'`, `props` (`ctx.props`,
 * or `{}`), and `waitUntil` and `passThroughOnException` that work called
 * detached. The request, `env` and, for cron triggers, the
 * `ScheduledController` reach the App as Workers gives them.
 *
 * The Worker has a `scheduled` handler only if the App has `scheduled()`:
 * workerd and wrangler see a cron handler only where there is one.
 *
 * @example
 * ```ts
 * // src/index.ts, the `main` of wrangler.toml
 * import { worker } from '@gatehouse/cloudflare'
 * import { app } from './app.ts'
 *
 * export default worker(app)
 * ```
 */
export function worker<Env = {}>(app: App<Env>): GatehouseWorker<Env> {
  const handler: GatehouseWorker<Env> = {
    fetch: (request, env, ctx) => app.fetch(request, env, new WorkerContext(ctx, request)),
  };
  if (typeof app.scheduled === 'function') {
    handler.scheduled = (controller, env, ctx) => app.scheduled!(controller, env, new WorkerContext(ctx, undefined));
  }
  return handler;
}
