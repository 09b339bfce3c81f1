import type { Transport } from '@gatehouse/edge';

/** A transport of this package: a `Transport` for `@gatehouse/edge`'s proxy that keeps connections open, and a way to close them. */
export type PooledTransport = Transport & {
  /** Its responses carry no hop-by-hop field: the proxy need not look. */
  readonly stripsHopByHop: true;
  /** Close every pooled connection, letting requests in flight finish. */
  close(): Promise<void>;
};
