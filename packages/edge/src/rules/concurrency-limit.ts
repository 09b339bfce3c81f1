import { compileLimitKey, type LimitKey } from './_limit-key.ts';

/**
 * Requests a client may have in flight at once (nginx's `limit_conn`),
 * counted until each answer's body has gone; one more gets 429 with
 * `Retry-After: 1`. Counted in this process's or isolate's memory.
 */
export interface ConcurrencyRules {
  readonly max: number;
  /** What the count is kept per: the client's address (the default), or a request header's value. */
  readonly key?: LimitKey;
  /** Routes with the same zone share counts. Defaults to the route's location. */
  readonly zone?: string;
}

const inFlight = new Map<string, number>();

/** The limit compiled for one route: a refusal, or the function that ends this request's share. */
export function compileConcurrency(
  rules: ConcurrencyRules,
  zone: string,
  fail: (message: string) => never,
): (headers: { get(name: string): string | null }, address: string | undefined) => Response | (() => void) | undefined {
  const { max, key = 'client-address' } = rules;
  if (!Number.isInteger(max) || max < 1) fail(`concurrency.max is a count ≥ 1, not ${JSON.stringify(max)}`);
  const keyOf = compileLimitKey(key, 'concurrency', fail);
  const name = rules.zone ?? zone;
  return (headers, address) => {
    const value = keyOf(headers, address);
    if (value === undefined) return undefined;
    const counted = `${name} ${value}`;
    const now = inFlight.get(counted) ?? 0;
    if (now >= max) {
      return new Response('Too Many Requests\n', { status: 429, headers: { 'retry-after': '1', 'content-type': 'text/plain; charset=utf-8' } });
    }
    inFlight.set(counted, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (inFlight.get(counted) ?? 1) - 1;
      if (left <= 0) inFlight.delete(counted);
      else inFlight.set(counted, left);
    };
  };
}
