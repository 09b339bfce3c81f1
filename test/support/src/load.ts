/** A bounded load for the container tests: counts every answer and every failure. */
export interface LoadResult {
  ok: number;
  /** Answers other than 200, by status. */
  statuses: Record<number, number>;
  /** Requests that got no answer at all, with the reason. */
  errors: string[];
  /** Bodies seen, counted. */
  bodies: Map<string, number>;
}

/**
 * Send requests to `url` from `concurrency` loops until `stop` resolves (or
 * `maxMs` passes, whichever is first: the load is always bounded).
 */
export async function load(url: string, concurrency: number, stop: Promise<unknown>, maxMs = 60_000): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, statuses: {}, errors: [], bodies: new Map() };
  let done = false;
  const timer = setTimeout(() => (done = true), maxMs);
  void stop.finally(() => (done = true));
  const loop = async (): Promise<void> => {
    while (!done) {
      try {
        const response = await fetch(url);
        const body = await response.text();
        if (response.status === 200) result.ok++;
        else result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
        result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        result.errors.push(cause?.code ?? cause?.message ?? String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  clearTimeout(timer);
  return result;
}
