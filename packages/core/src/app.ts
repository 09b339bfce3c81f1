import type { Context } from './context.ts';
import type { ANSWER_HEAD, AnswerHead } from './head-answer.ts';

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
  /**
   * Answer a GET or HEAD from its head alone, without a Request or a
   * Response, where the server offers it (`@gatehouse/node` does; see
   * `head-answer.ts`). `undefined` leaves the request to `fetch`.
   */
  [ANSWER_HEAD]?: AnswerHead<Env>;
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
