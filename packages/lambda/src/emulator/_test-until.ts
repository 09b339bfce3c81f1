import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves once `condition()` holds, looking again every millisecond: for
 * what happens in a server only some while after a test acts. A fixed sleep
 * guesses that while, and a loaded machine outlasts the guess; this waits as
 * long as it takes. It has no limit of its own: pass the test's `signal`, so
 * that the test's timeout bounds it, and fails the test if it never comes.
 */
export async function until(condition: () => boolean, signal: AbortSignal): Promise<void> {
  while (!condition()) await delay(1, undefined, { signal });
}
