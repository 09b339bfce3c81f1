import { DEADLINE } from './_result.ts';

interface Watch {
  at: number;
  resolve: (value: typeof DEADLINE) => void;
}

const active = new Set<Watch>();
let timer: ReturnType<typeof setTimeout> | undefined;
let timerAt = Infinity;

/**
 * A promise that resolves with DEADLINE at `at` (Date.now() time), and a
 * function to stop watching. One shared timer serves every invocation: a
 * Lambda process runs them one after another, and arming and clearing a
 * timer for each would cost more than the rest of a small invocation's
 * bookkeeping.
 */
export function watchDeadline(at: number): [Promise<typeof DEADLINE>, () => void] {
  let watch!: Watch;
  const promise = new Promise<typeof DEADLINE>((resolve) => (watch = { at, resolve }));
  active.add(watch);
  if (at < timerAt) arm(at);
  return [promise, () => active.delete(watch)];
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(fire, Math.max(0, at - Date.now()));
  // Never keep an idle process alive for a watch.
  timer.unref?.();
}

function fire(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const watch of active) {
    if (watch.at <= now) {
      active.delete(watch);
      watch.resolve(DEADLINE);
    } else if (watch.at < next) {
      next = watch.at;
    }
  }
  if (next !== Infinity) arm(next);
}
