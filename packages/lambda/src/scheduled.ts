import type { App, ScheduledController } from '@gatehouse/core';
import { DEADLINE, DeadlineError } from './_result.ts';
import { watchDeadline } from './_watchdog.ts';
import { InvocationContext } from './context.ts';
import type { LambdaRuntimeContext, ScheduledEvent } from './events.ts';

/** @internal What the scheduled runner needs of the handler's options, already resolved. */
export interface ScheduledSettings<Env> {
  env: Env;
  margin: number;
  onError: (error: unknown) => void;
}

/**
 * @internal Runs `app.scheduled` for one EventBridge scheduled event.
 *
 * The controller is Workers' `ScheduledController`:
 * - `scheduledTime` is `Date.parse(event.time)`, when the run was due; the
 *   time the invocation began if `time` is missing or not a date.
 * - `cron` is the ARN of the rule or schedule that sent the event (its
 *   first `resources` entry), not its name: only the ARN tells apart two
 *   rules of one name on different buses, or two schedules of one name in
 *   different groups, regions or accounts. Lambda never sees the cron
 *   expression itself. An event without resources (a Scheduler input
 *   written by hand) gets `''`.
 * - `noRetry()` turns a failure into a success that is only reported
 *   (`onError`): Lambda has no way to be told "failed, but do not retry"
 *   other than the invocation succeeding.
 *
 * Resolves with `undefined` once `scheduled()` and all its waitUntil work
 * have settled. Rejects, so that Lambda records a failed asynchronous
 * invocation and retries it as the function's asynchronous invocation
 * settings say (twice by default), when `scheduled()` throws or rejects,
 * when waitUntil work rejects, or when the run is not over half
 * `deadlineMargin` before the invocation's deadline; unless `noRetry()`
 * was called. Rejects too when the App has no `scheduled()`.
 */
export function scheduledRunner<Env>(
  app: App<Env>,
  settings: ScheduledSettings<Env>,
): (event: ScheduledEvent, context: LambdaRuntimeContext) => Promise<undefined> {
  const { env, margin, onError } = settings;
  return async (event, context) => {
    const startedAt = Date.now();
    const cron = typeof event.resources?.[0] === 'string' ? event.resources[0] : '';
    if (typeof app.scheduled !== 'function') {
      throw new Error(
        `The App has no scheduled() handler, so it cannot run the EventBridge scheduled event from ${cron || 'an unnamed schedule'}: add scheduled(controller, env, ctx) to the App, or stop sending schedules to this function.`,
      );
    }
    const due = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
    let retry = true;
    const controller: ScheduledController = {
      scheduledTime: Number.isNaN(due) ? startedAt : due,
      cron,
      noRetry: () => void (retry = false),
    };
    // waitUntil failures are collected, not reported: they fail the run.
    const failures: unknown[] = [];
    const ctx = new InvocationContext({ source: 'schedule', event, requestContext: undefined, context }, undefined, (error) =>
      void failures.push(error),
    );
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 900_000;
    // As for HTTP events, the handler gives up half the margin before
    // Lambda would end the invocation, so that the failure is its own.
    const [deadline, unwatch] = watchDeadline(startedAt + remaining - margin / 2);
    const run = async (): Promise<void> => {
      try {
        await app.scheduled!(controller, env, ctx);
      } catch (error) {
        failures.unshift(error);
      }
      await ctx._settle();
    };
    try {
      if ((await Promise.race([run(), deadline])) === DEADLINE) {
        failures.push(new DeadlineError('The scheduled run, waitUntil work included, was not over before the Lambda invocation\'s deadline'));
      }
    } finally {
      unwatch();
    }
    if (failures.length === 0) return undefined;
    const error = failures.length === 1 ? failures[0] : new AggregateError(failures.slice(), `The scheduled run failed ${failures.length} ways`);
    if (retry) throw error;
    onError(error);
    return undefined;
  };
}
