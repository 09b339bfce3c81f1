/** RFC 9110 §9.2.2: the safe methods and PUT and DELETE. */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * Whether a request with this method may be sent again after a failure
 * (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE; not POST,
 * PATCH, CONNECT or any other method). The proxy retries other methods
 * only when nothing of the request was sent (the connection failed).
 *
 * @example
 * ```ts
 * isIdempotent('PUT') // true
 * isIdempotent('POST') // false
 * ```
 */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
