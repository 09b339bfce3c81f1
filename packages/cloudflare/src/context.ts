import type { Context } from '@gatehouse/core';

/**
 * The Context on Workers: the common one, and everything Workers'
 * `ExecutionContext` has (`exports`, `abort()`, `tracing`…), so an App
 * written for Workers loses nothing by being served through Gatehouse.
 * `ExecutionContext` is the global of the Worker project's own types
 * (`wrangler types`, or `@cloudflare/workers-types`).
 *
 * @example
 * ```ts
 * const app: App = {
 *   fetch(request, env, ctx) {
 *     if (ctx.runtime === 'workerd') (ctx as CloudflareContext).abort('not today')
 *     return new Response('ok')
 *   },
 * }
 * ```
 */
export interface CloudflareContext extends Context, ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  readonly runtime: 'workerd';
  readonly props: unknown;
}
