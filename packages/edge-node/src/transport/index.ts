/**
 * Upstream transports for `@gatehouse/edge`'s proxy on Node.
 *
 * @module
 */
export { http1Transport, type Http1Transport, type Http1TransportOptions } from './http1-transport.ts';
export type { PooledTransport } from './pooled-transport.ts';
export { undiciTransport, type UndiciTransport, type UndiciTransportOptions } from './undici-transport.ts';
