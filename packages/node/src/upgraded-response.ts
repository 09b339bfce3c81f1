import type { Duplex } from 'node:stream';

/**
 * Where an upgraded Response keeps its connection. A registry symbol, so
 * that a transport built on another copy of this package (or none) can
 * make one the server recognises.
 */
export const UPGRADED: unique symbol = Symbol.for('gatehouse.upgrade');

/** The connection an upgraded Response hands to the server. */
export interface UpgradedConnection {
  /** The other party (an upstream server, a local protocol handler): bytes written here reach it. */
  readonly socket: Duplex;
  /** Bytes already read from `socket` past its 101 answer, for the client before anything else. */
  readonly received: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const ignore = (): void => {};

/**
 * A `101 Switching Protocols` Response carrying an upgraded connection,
 * for an App (or a transport such as `undiciTransport`) to return to a
 * WebSocket handshake: `serve` writes the 101 with `headers` (plus
 * `Connection: Upgrade` and `Upgrade`) to the client, then pipes the
 * client's connection and `socket` into each other until either ends.
 *
 * The fetch standard allows no Response with status 101, so this is a
 * bodiless Response whose `status` reads 101. Only `serve`'s upgrade path
 * can send it; returned to a plain request (or over HTTP/2) it is the
 * App's error.
 *
 * @example
 * ```ts
 * import { request } from 'node:http'
 * import { upgradedResponse } from '@gatehouse/node'
 *
 * // Hand WebSocket handshakes to a chat server on a Unix socket.
 * const app = {
 *   fetch: (req: Request) =>
 *     new Promise<Response>((resolve, reject) => {
 *       const headers = Object.fromEntries(req.headers)
 *       const handshake = request({ socketPath: '/run/chat.sock', path: new URL(req.url).pathname, headers })
 *       handshake.once('upgrade', (res, socket, head) => resolve(upgradedResponse(socket, head, { 'sec-websocket-accept': String(res.headers['sec-websocket-accept']) })))
 *       handshake.once('response', (res) => {
 *         res.resume()
 *         resolve(new Response(null, { status: res.statusCode }))
 *       })
 *       handshake.once('error', reject)
 *       handshake.end()
 *     }),
 * }
 * ```
 */
export function upgradedResponse(socket: Duplex, received?: Uint8Array, headers?: ConstructorParameters<typeof Headers>[0]): Response {
  const response = new Response(null, { headers });
  const connection: UpgradedConnection = { socket, received: received ?? EMPTY };
  Object.defineProperties(response, {
    status: { value: 101 },
    statusText: { value: 'Switching Protocols' },
    ok: { value: false },
    [UPGRADED]: { value: connection },
  });
  // Until the server pipes it, a failing socket must not take the process
  // down as an unhandled 'error'; the server finds it destroyed instead.
  socket.on('error', ignore);
  return response;
}

/** The connection `response` carries, if it is an upgraded Response. */
export function upgradedConnection(response: object): UpgradedConnection | undefined {
  const connection = (response as { [UPGRADED]?: UpgradedConnection })[UPGRADED];
  return connection !== undefined && typeof connection.socket?.pipe === 'function' ? connection : undefined;
}
