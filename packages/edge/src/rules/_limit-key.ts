/** What a limit counts per: the client's address, or a request header's value (an API key). */
export type LimitKey = 'client-address' | { readonly header: string };

/**
 * The key a request counts under for `rule` (`rateLimit`, `concurrency`),
 * or undefined when it has none: then it is not limited, as nginx leaves a
 * request with an empty key alone.
 */
export function compileLimitKey(
  key: LimitKey,
  rule: string,
  fail: (message: string) => never,
): (headers: { get(name: string): string | null }, address: string | undefined) => string | undefined {
  if (key === 'client-address') return (_headers, address) => (address === '' ? undefined : address);
  if (typeof key !== 'object' || key === null || typeof key.header !== 'string') return fail(`${rule}.key is 'client-address' or { header }, not ${JSON.stringify(key)}`);
  const header = key.header.toLowerCase();
  return (headers) => headers.get(header) || undefined;
}
