import type { App, Context } from '@gatehouse/core';

/**
 * Run the App and hand its answer to `send`, or what it threw or rejected
 * with to `fail`. A synchronous answer is sent without waiting a turn.
 */
export function callApp<Env>(
  app: App<Env>,
  request: Request,
  env: Env,
  ctx: Context,
  send: (result: unknown) => void,
  fail: (error: unknown) => void,
): void {
  let result: unknown;
  try {
    result = app.fetch(request, env, ctx);
  } catch (error) {
    fail(error);
    return;
  }
  if (result instanceof Promise) result.then(send, fail);
  else send(result);
}
