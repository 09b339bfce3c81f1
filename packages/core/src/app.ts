/**
 * The name of the runtime an App is running on, as its adapter reports it.
 * The known names are listed; an adapter for another runtime may use its own.
 */
export type RuntimeName = 'node' | 'workerd' | 'lambda' | (string & {});

/**
 * What an App receives beside the request, on every runtime.
 *
 * A superset of Cloudflare Workers' `ExecutionContext`, so a Worker's
 * context is one and an App written for Workers (a Hono app, say) runs
 * unchanged elsewhere. Adapters may extend it with what their runtime
 * alone can give (a Lambda invocation's context, for instance).
 */
export interface Context<Props = unknown> {
  /**
   * Keep the invocation alive until `promise` settles, without delaying
   * the response. Adapters wait for it before they shut down or return.
   */
  waitUntil(promise: Promise<unknown>): void;
  /**
   * On Workers, fall through to the origin if the App throws. Elsewhere a
   * no-op: there is no origin behind an adapter to fall through to.
   */
  passThroughOnException(): void;
  /**
   * The client's IP address as the runtime reports it, or as a proxy the
   * adapter was told to trust reports it. `undefined` when unknown.
   */
  readonly clientAddress: string | undefined;
  /** The runtime the App is running on. */
  readonly runtime: RuntimeName;
  /** Workers' per-entrypoint props; an empty object elsewhere. */
  readonly props: Props;
}

/**
 * A Gatehouse App: the whole contract between an adapter and an application.
 *
 * The shape is that of a Cloudflare Workers module and of a Hono app, so
 * either is an App as it is.
 *
 * @example
 * ```ts
 * import type { App } from '@gatehouse/core'
 *
 * const app: App = {
 *   fetch(request) {
 *     return new Response(`Hello from ${new URL(request.url).pathname}`)
 *   },
 * }
 * export default app
 * ```
 */
export interface App<Env = {}> {
  fetch(request: Request, env: Env, ctx: Context): Response | Promise<Response>;
  /**
   * Run a scheduled task: the Workers shape. Called on Workers by cron
   * triggers, on Lambda by EventBridge schedules, and by `gatehouse start`
   * on the cron expressions of its configuration.
   */
  scheduled?(controller: ScheduledController, env: Env, ctx: Context): void | Promise<void>;
}

/**
 * What a scheduled run is told about itself: the shape of Workers'
 * `ScheduledController`, so a Worker's `scheduled` handler is one as it is.
 */
export interface ScheduledController {
  /** When the run was due, in milliseconds since the epoch. */
  readonly scheduledTime: number;
  /**
   * What scheduled it: the cron expression on Workers and under
   * `gatehouse start`, the schedule's rule (its ARN) on Lambda.
   */
  readonly cron: string;
  /** Ask the platform not to retry this run if it fails (where it would). */
  noRetry(): void;
}

/** The function an App's `fetch` is: handy where an App is built from parts. */
export type FetchHandler<Env = {}> = App<Env>['fetch'];
