import { connectionTokens, type FieldReader, getSetCookies, type RequestFields, staysOnConnection } from '@gatehouse/core';

/**
 * Request fields the proxy sets itself, or that its own server already
 * dealt with (Expect: `100-continue` was answered), so the client's are not
 * forwarded as they are. Hop-by-hop fields, and `Proxy` and every
 * `Proxy-*` field, are dropped too (`Proxy-Authorization` is for this
 * proxy; `Proxy` is the httpoxy attack).
 */
const SET_BY_PROXY: ReadonlySet<string> = new Set(['expect', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

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
  const named = connectionTokens(headers.get('connection'));
  let forwardedFor: string | undefined;
  headers.forEach((value, name) => {
    if (SET_BY_PROXY.has(name)) {
      if (name === 'x-forwarded-for') forwardedFor = value;
      return;
    }
    if (name === 'proxy' || staysOnConnection(name, named)) return;
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
  return connectionTokens(headers.get('connection')).includes('upgrade') ? upgrade : undefined;
}

/** Whether a response head carries a field that stays on the upstream connection (and must be rebuilt without). */
export function hasHopByHop(headers: Headers): boolean {
  // A field named by Connection comes with Connection, which is hop-by-hop itself.
  for (const [name] of headers) if (staysOnConnection(name)) return true;
  return false;
}

/**
 * A copy of a response head without its hop-by-hop fields, the ones
 * `Connection` names and any `Proxy-*`. Every Set-Cookie stays a field
 * of its own.
 */
export function withoutHopByHop(headers: Headers): Headers {
  const named = connectionTokens(headers.get('connection'));
  const out = new Headers();
  for (const [name, value] of headers) {
    if (name === 'set-cookie' || staysOnConnection(name, named)) continue;
    out.append(name, value);
  }
  for (const cookie of getSetCookies(headers)) out.append('set-cookie', cookie);
  return out;
}
