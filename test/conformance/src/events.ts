/**
 * What the conformance App saw happen after a response was gone (aborts,
 * cancels, waitUntil work), kept per test id so the suite can ask later.
 * In memory: every runtime under test keeps one instance of the App alive
 * for the length of the suite.
 */
const events = new Map<string, string[]>();
const waiters = new Map<string, (() => void)[]>();

export function record(id: string, event: string): void {
  let list = events.get(id);
  if (list === undefined) events.set(id, (list = []));
  list.push(event);
  for (const wake of waiters.get(id) ?? []) wake();
  waiters.delete(id);
}

export function eventsOf(id: string): string[] {
  return events.get(id) ?? [];
}

/** Resolves once `id` has at least `count` events. */
export function waitForEvents(id: string, count: number): Promise<void> {
  if (eventsOf(id).length >= count) return Promise.resolve();
  return new Promise((resolve) => {
    const list = waiters.get(id) ?? [];
    list.push(() => void waitForEvents(id, count).then(resolve));
    waiters.set(id, list);
  });
}
