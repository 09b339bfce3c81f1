import type { RedisCommandOptions, RedisCommands } from './redis-commands.ts';

/**
 * The report of a store that carries on without Redis: the `onError` given,
 * or a warning on stderr at most once a minute, since an outage fails
 * every request and one line per request would bury everything else.
 */
export function reporter(store: string, outcome: string, onError?: (error: unknown) => void): (error: unknown) => void {
  if (onError !== undefined) return onError;
  let reported = -Infinity;
  return (error) => {
    const now = Date.now();
    if (now - reported < 60_000) return;
    reported = now;
    console.warn(`[gatehouse] ${store}: Redis failed, ${outcome}: ${(error as Error)?.message ?? String(error)}`);
  };
}

/** A command that got no answer in time. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer from Redis within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * `sendCommand`, bounded in time: `timeout` asks node-redis to drop a
 * command still unsent by then, and the race ends the wait for one that
 * was sent and never answered (a server that hangs, a network that drops
 * packets), or for a client without that option.
 */
export function send(client: RedisCommands, args: readonly (string | Buffer)[], timeout: number, options?: RedisCommandOptions): Promise<unknown> {
  let reply: Promise<unknown>;
  try {
    reply = client.sendCommand(args, options === undefined ? { timeout } : { ...options, timeout });
  } catch (error) {
    return Promise.reject(error);
  }
  return bounded(reply, timeout);
}

/** `reply`, or a {@link RedisTimeoutError} once `timeout` ms have passed without it. */
export function bounded<T>(reply: Promise<T>, timeout: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(timeout)), timeout);
  });
  return Promise.race([reply, late]).finally(() => clearTimeout(timer));
}

/** Whether `timeout` is a usable number of milliseconds; the store names itself in the error. */
export function checkTimeout(timeout: number, store: string): number {
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) throw new TypeError(`${store}: timeout is milliseconds (> 0), not ${String(timeout)}`);
  return timeout;
}
