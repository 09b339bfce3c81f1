import type { TrustProxy } from './options.ts';
import type { IncomingRequest } from './types.ts';

/**
 * The client's address: the socket's peer, or, walking `X-Forwarded-For`
 * from the right for as long as the hop is a proxy we trust, the first
 * address that is not one (the way nginx's realip module with
 * `real_ip_recursive on` does it).
 */
export function clientAddress(req: IncomingRequest, peer: string | undefined, trust: TrustProxy): string | undefined {
  if (trust === false || peer === undefined) return peer;
  const forwarded = forwardedFor(req);
  if (forwarded.length === 0) return peer;
  if (trust === true) return forwarded[0];
  if (typeof trust === 'number') {
    // The peer is the first of our `trust` proxies; each further one added an entry.
    return trust <= 0 ? peer : (forwarded[Math.max(0, forwarded.length - trust)] ?? peer);
  }
  let address = peer;
  for (let i = forwarded.length - 1; i >= 0 && trust(address); i--) {
    address = forwarded[i]!;
  }
  return address;
}

/** Whether the peer is a proxy we trust, so its X-Forwarded-* headers count. */
export function trustsPeer(req: IncomingRequest, trust: TrustProxy): boolean {
  if (trust === false) return false;
  if (trust === true) return true;
  if (typeof trust === 'number') return trust > 0;
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trust(peer);
}

function forwardedFor(req: IncomingRequest): string[] {
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return [];
  const joined = Array.isArray(header) ? header.join(',') : header;
  const out: string[] = [];
  for (const part of joined.split(',')) {
    const address = part.trim();
    if (address !== '') out.push(address);
  }
  return out;
}
