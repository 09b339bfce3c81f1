import type { App } from './app.ts';

/**
 * A middleware wraps an App into another App: it can act before the inner
 * App is called, after it answers, or answer itself without calling it.
 *
 * @example
 * ```ts
 * import type { Middleware } from '@gatehouse/core'
 *
 * const poweredBy: Middleware = (next) => ({
 *   async fetch(request, env, ctx) {
 *     const response = await next.fetch(request, env, ctx)
 *     const headers = new Headers(response.headers)
 *     headers.set('x-powered-by', 'gatehouse')
 *     return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
 *   },
 * })
 * ```
 */
export type Middleware<Env = {}> = (next: App<Env>) => App<Env>;

/**
 * Compose middlewares into one. The first one listed is the outermost: it
 * sees the request first and the response last, as in a list of nginx or
 * Express handlers read from top to bottom.
 *
 * @example
 * ```ts
 * const app = compose(logRequests, poweredBy)(origin)
 * ```
 */
export function compose<Env = {}>(...middlewares: readonly Middleware<Env>[]): Middleware<Env> {
  return (app) => {
    let wrapped = app;
    for (let i = middlewares.length - 1; i >= 0; i--) {
      wrapped = middlewares[i]!(wrapped);
    }
    return wrapped;
  };
}
