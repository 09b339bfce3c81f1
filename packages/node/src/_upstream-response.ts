/** Response fields never passed on by the transports: hop-by-hop (RFC 9110 §7.6.1) and Proxy-*. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authentication-info', 'te',
  'trailer', 'transfer-encoding', 'upgrade',
]);

/** Up to 64 KiB of response body may wait for the client before the upstream socket is paused. */
export const BODY_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength };
