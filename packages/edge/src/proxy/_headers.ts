import { getSetCookies } from '@gatehouse/core';
import type { FieldReader, RequestFields } from '../head-answer.ts';

/**
 * Request fields that are never forwarded as they are: hop-by-hop fields
 * (RFC 9110 §7.6.1: Connection and what it names, Keep-Alive, TE,
 * Trailer, Transfer-Encoding, Upgrade; and Proxy-Connection), Expect (the
 * edge's own server already answered `100-continue`), and the fields the
 * proxy sets itself. `Proxy` and every `Proxy-*` field are dropped too
 * (`Proxy-Authorization` is for this proxy; `Proxy` is the httpoxy attack).
 */
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/**
 * Response fields that make the proxy rebuild the head: the hop-by-hop
 * ones an upstream sends. A head without any of them is passed on as it is.
 */
const RESPONSE_HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authentication-info',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
const RESPONSE_DROPPED: ReadonlySet<string> = new Set(RESPONSE_HOP_BY_HOP);

/**
 * The fields to send upstream, flat (`[name, value…]`): the client's,
 * without hop-by-hop fields, with X-Forwarded-For (the client's address
 * appended to what came in, as nginx's `$proxy_add_x_forwarded_for`),
 * X-Forwarded-Proto and X-Forwarded-Host set. Host comes first, with an
 * empty value the proxy fills in per server. A WebSocket upgrade keeps
 * `Upgrade` and says `Connection: upgrade`. `bodyless`: the request goes
 * without a body (GET and HEAD always do), so any Content-Length but 0 is
 * dropped.
 */
export function forwardedHeaders(
  headers: RequestFields,
  clientHost: string,
  clientProto: string,
  clientAddress: string | undefined,
  upgrade: string | undefined,
  bodyless: boolean,
): string[] {
  const out = ['host', ''];
  const connection = headers.get('connection');
  const named = connection === null ? undefined : tokens(connection);
  let forwardedFor: string | undefined;
  headers.forEach((value, name) => {
    if (REQUEST_DROPPED.has(name)) {
      if (name === 'x-forwarded-for') forwardedFor = value;
      return;
    }
    if (name.startsWith('proxy')) {
      if (name.length === 5 || name.charCodeAt(5) === 0x2d /* - */) return;
    }
    if (named !== undefined && named.includes(name)) return;
    // A body that is not forwarded (a GET's) must not be announced: the
    // server would read the next request as that body.
    if (bodyless && name === 'content-length' && value !== '0') return;
    out.push(name, value);
  });
  if (upgrade !== undefined) out.push('connection', 'upgrade', 'upgrade', upgrade);
  if (clientAddress !== undefined && clientAddress !== '') {
    out.push('x-forwarded-for', forwardedFor === undefined || forwardedFor === '' ? clientAddress : `${forwardedFor}, ${clientAddress}`);
  } else if (forwardedFor !== undefined) {
    out.push('x-forwarded-for', forwardedFor);
  }
  out.push('x-forwarded-proto', clientProto, 'x-forwarded-host', clientHost);
  return out;
}

/**
 * The value of `Upgrade` when the request asks for a WebSocket
 * (`Upgrade: websocket` with `Connection: upgrade`), else `undefined`.
 */
export function webSocketUpgrade(headers: FieldReader): string | undefined {
  const upgrade = headers.get('upgrade');
  if (upgrade === null || !/\bwebsocket\b/i.test(upgrade)) return undefined;
  const connection = headers.get('connection');
  return connection !== null && tokens(connection).includes('upgrade') ? upgrade : undefined;
}

/** Whether a response head carries a hop-by-hop field (and must be rebuilt without). */
export function hasHopByHop(headers: Headers): boolean {
  for (const name of RESPONSE_HOP_BY_HOP) if (headers.has(name)) return true;
  return false;
}

/**
 * A copy of a response head without its hop-by-hop fields, the ones
 * `Connection` names and any `Proxy-*`. Every Set-Cookie stays a field
 * of its own.
 */
export function withoutHopByHop(headers: Headers): Headers {
  const connection = headers.get('connection');
  const named = connection === null ? undefined : tokens(connection);
  const out = new Headers();
  for (const [name, value] of headers) {
    if (name === 'set-cookie' || RESPONSE_DROPPED.has(name) || name.startsWith('proxy-')) continue;
    if (named !== undefined && named.includes(name)) continue;
    out.append(name, value);
  }
  for (const cookie of getSetCookies(headers)) out.append('set-cookie', cookie);
  return out;
}

function tokens(list: string): string[] {
  return list
    .toLowerCase()
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}
