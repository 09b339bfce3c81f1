/**
 * What the conformance App saw happen after a response was gone (aborts,
 * cancels, waitUntil work), kept per test id so the suite can ask later.
 * In memory: every runtime under test keeps one instance of the App alive
 * for the length of the suite.
 */
const events = new Map<string, string[]>();

export function record(id: string, event: string): void {
  let list = events.get(id);
  if (list === undefined) events.set(id, (list = []));
  list.push(event);
}

export function eventsOf(id: string): string[] {
  return events.get(id) ?? [];
}
