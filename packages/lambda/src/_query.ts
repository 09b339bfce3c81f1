type Params = Record<string, string | readonly string[] | undefined> | null | undefined;

/**
 * A query string from parameter maps. `encode` is false for ALB, whose
 * values arrive as the client sent them; API Gateway and Lattice decode
 * them first, so they are encoded again here. Multi-value maps win over
 * single-value ones, which hold only the last value of a repeated key.
 */
export function queryString(multi: Params, single: Params, encode: boolean): string {
  const params = multi ?? single;
  if (params === null || params === undefined) return '';
  const parts: string[] = [];
  const escape = encode ? encodeURIComponent : (value: string) => value;
  for (const key in params) {
    const value = params[key];
    if (value === undefined) continue;
    const name = escape(key);
    if (typeof value === 'string') parts.push(`${name}=${escape(value)}`);
    else for (const item of value) parts.push(`${name}=${escape(item)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
