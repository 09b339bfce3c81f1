import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectionTokens, staysOnConnection } from '@gatehouse/core';
import { upgradedResponse } from '@gatehouse/node';

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
    else if (name === 'connection' && connectionTokens(headers[i + 1]).includes('upgrade')) connectionUpgrade = true;
  }
  if (protocol === undefined || !connectionUpgrade) return undefined;
  const rest: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name !== 'upgrade' && name !== 'connection') rest.push(name, headers[i + 1]!);
  }
  return { protocol, headers: rest };
}


/**
 * The upstream's 101 as an upgraded Response: its fields, Upgrade and
 * the WebSocket ones (Sec-WebSocket-Accept, -Protocol, -Extensions)
 * included, and the socket undici let go of. undici has already put any
 * bytes that followed the head back into the socket.
 */
export function upstreamUpgraded(headers: IncomingHttpHeaders, socket: Duplex): Response {
  const connection = headers.connection;
  const named = typeof connection === 'string' ? connectionTokens(connection) : undefined;
  const fields = new Headers();
  for (const name in headers) {
    // Upgrade says what the tunnel speaks; the rest about this hop's connection the server writes itself.
    if (name === 'content-length' || (name !== 'upgrade' && staysOnConnection(name, named))) continue;
    const value = headers[name]!;
    if (typeof value === 'string') fields.append(name, value);
    else for (const each of value) fields.append(name, each);
  }
  return upgradedResponse(socket, undefined, fields);
}
