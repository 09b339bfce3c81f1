import { HandlerTimeoutError } from './errors.ts';
import type { ErrorHook } from './options.ts';

/** The default `onError`. */
export function logError(error: unknown): void {
  // A timeout's stack only shows the timer: the message says it all.
  if (error instanceof HandlerTimeoutError) console.error(`[gatehouse] ${error.message}: answered 504`);
  else console.error('[gatehouse] the App failed:', error);
}

/** What an App returned instead of a Response, for the error that says so. */
export function describeNonResponse(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object without a status (${Object.prototype.toString.call(value)})`;
  return typeof value;
}

/** `onError` (or the default), made safe: a hook that throws must not take the server down with it. */
export function errorReporter(onError: ErrorHook = logError): ErrorHook {
  return (error, req) => {
    try {
      onError(error, req);
    } catch (hookError) {
      logError(hookError);
    }
  };
}
