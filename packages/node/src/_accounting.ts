import type { ListenerState } from './listener.ts';
import { HandlerTimeoutError } from './errors.ts';
import type { ErrorHook } from './options.ts';
import type { IncomingRequest } from './types.ts';

/**
 * A request comes in: it counts as in flight and as received (what a
 * graceful close, idle scaling and recycling read), unless it is left out
 * of the counts (a readiness probe). Returns whether it was counted.
 */
export function countIn(state: ListenerState, req: IncomingRequest): boolean {
  if (state.uncounted !== undefined && state.uncounted(req)) return false;
  if (state.inFlight++ === 0) state.busySince = performance.now();
  state.requests++;
  state.onRequest?.(state.requests);
  return true;
}

/** A counted request is over (answered, or its client gone). Call once per {@link countIn} that counted. */
export function countOut(state: ListenerState): void {
  if (--state.inFlight === 0) {
    state.busyTime += performance.now() - state.busySince;
    state.onIdle?.();
  }
}

/** What a request's handler timeout acts on. */
interface Abortable {
  _abort(reason: DOMException): void;
}

/**
 * The handler timeout (`handlerTimeout`): past `ms`, the request's signal
 * aborts with a TimeoutError, the error hook hears of it, and `answer504`
 * gives the client its 504 with the message. Returns the timer to clear
 * once the App answered, or undefined when there is no timeout.
 */
export function handlerDeadline(
  ms: number,
  req: IncomingRequest,
  request: Abortable,
  report: ErrorHook,
  answer504: (message: string) => void,
): NodeJS.Timeout | undefined {
  if (ms <= 0) return undefined;
  return setTimeout(() => {
    request._abort(new DOMException(`The App did not answer within ${ms} ms`, 'TimeoutError'));
    report(new HandlerTimeoutError(ms, req.method, req.url), req);
    answer504(`Gateway Timeout: the App did not answer within ${ms} ms`);
  }, ms);
}
