import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { upgradedResponse } from './_upgraded.ts';

/** A request's protocol upgrade, in the form undici's dispatch wants it. */
export interface UpgradeRequest {
  /** The Upgrade field's value, which undici writes with `Connection: upgrade` itself. */
  readonly protocol: string;
  /** The request's fields without Connection and Upgrade (undici refuses to be given either). */
  readonly headers: string[];
}

/**
 * The upgrade a request's flat fields ask for (`Upgrade` with
 * `Connection: upgrade`, as the edge's proxy sends a WebSocket
 * handshake), else `undefined`.
 */
export function upgradeOf(headers: readonly string[]): UpgradeRequest | undefined {
  let protocol: string | undefined;
  let connectionUpgrade = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name === 'upgrade') protocol = headers[i + 1];
    else if (name === 'connection' && /(?:^|,)\s*upgrade\s*(?:,|$)/i.test(headers[i + 1]!)) connectionUpgrade = true;
  }
  if (protocol === undefined || !connectionUpgrade) return undefined;
  const rest: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name !== 'upgrade' && name !== 'connection') rest.push(name, headers[i + 1]!);
  }
  return { protocol, headers: rest };
}

// The 101's fields the client gets: not the ones about this hop's connection (the server writes its own).
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length']);

/**
 * The upstream's 101 as an upgraded Response: its fields, Upgrade and
 * the WebSocket ones (Sec-WebSocket-Accept, -Protocol, -Extensions)
 * included, and the socket undici let go of. undici has already put any
 * bytes that followed the head back into the socket.
 */
export function upstreamUpgraded(headers: IncomingHttpHeaders, socket: Duplex): Response {
  const connection = headers.connection;
  const named = typeof connection === 'string' ? connection.toLowerCase().split(',').map((token) => token.trim()) : [];
  const fields = new Headers();
  for (const name in headers) {
    if (DROPPED.has(name) || name.startsWith('proxy-') || (name !== 'upgrade' && named.includes(name))) continue;
    const value = headers[name]!;
    if (typeof value === 'string') fields.append(name, value);
    else for (const each of value) fields.append(name, each);
  }
  return upgradedResponse(socket, undefined, fields);
}
