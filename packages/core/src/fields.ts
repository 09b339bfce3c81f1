/**
 * The rules for header fields that belong to one connection, written once
 * for every adapter, the edge's proxy and its transports.
 */

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1: Connection, Proxy-Connection,
 * Keep-Alive, TE, Transfer-Encoding, Upgrade; and Trailer, hop-by-hop in
 * RFC 7230 §6.1): about one connection, never passed on to the next, and
 * forbidden outright in HTTP/2 (RFC 9113 §8.2.2). Names in lower case.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const NO_TOKENS: readonly string[] = Object.freeze([]);

/** Whether `name` (in lower case) is a hop-by-hop field. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/**
 * The options a Connection field lists (RFC 9110 §7.6.1), in lower case:
 * `close`, `upgrade`, or the names of more fields that are hop-by-hop for
 * this message. Empty for a missing field.
 */
export function connectionTokens(value: string | null | undefined): readonly string[] {
  // Most requests have no Connection field: no array is made for them.
  if (value === null || value === undefined || value === '') return NO_TOKENS;
  const tokens: string[] = [];
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '') tokens.push(token);
  }
  return tokens;
}

/**
 * Whether a received field stays with the connection it came on, rather
 * than being passed on by a proxy: a hop-by-hop field, one the message's
 * Connection field names (`named`, from {@link connectionTokens}), or any
 * `Proxy-*` field (meant for the proxy, not for whoever is behind it).
 */
export function staysOnConnection(name: string, named?: readonly string[]): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (named !== undefined && named.length > 0 && named.includes(name));
}
