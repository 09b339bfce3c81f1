/**
 * Statuses whose responses never carry a body (RFC 9110 §6.4.1, §15.3.6):
 * 1xx, 204 No Content, 205 Reset Content and 304 Not Modified.
 */
export function isNullBodyStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 205 || status === 304;
}
