import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type App, drained, isHopByHop, isNullBodyStatus } from '@gatehouse/core';
import { countIn, countOut, handlerDeadline } from './_accounting.ts';
import { trustsPeer } from './_client-address.ts';
import { errorReporter } from './_app-errors.ts';
import { callApp } from './_call-app.ts';

import { NodeContext } from './_context.ts';
import { BadRequestError, forwardedProto, type NodeRequest, requestUrl, socketProto, toRequest } from './node-request.ts';
import { FROM_RESPONSE, isResponseLike, type ResponseLike, toBytes } from './_response.ts';
import { upgradedConnection, type UpgradedConnection } from './upgraded-response.ts';
import type { ListenerState } from './listener.ts';
import type { ServeOptions } from './options.ts';

/** A server's upgrade requests and the connections they became. */
export interface Upgrades {
  /** The server's 'upgrade' listener. */
  readonly listener: (req: IncomingMessage, socket: Duplex, firstBytes: Uint8Array) => void;
  /** Resolves once no upgrade request or upgraded connection is left open. */
  ended(): Promise<void>;
  /** Cut every upgrade request's connection and every upgraded connection. */
  closeAll(): void;
}

/**
 * Which upgrade requests Node hands to the 'upgrade' listener (its
 * `shouldUpgradeCallback`, Node ≥ 24.9): WebSocket ones. Any other
 * (`Upgrade: h2c` from curl) stays a plain request, body and keep-alive
 * included, as it was before upgrades were served.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return upgrade !== undefined && /\bwebsocket\b/i.test(upgrade);
}


const ignore = (): void => {};

/** Bytes a client may send before its upgrade is answered, before it is no longer read. */
const MAX_EARLY_BYTES = 64 * 1024;

/**
 * Serve upgrade requests with `app`, the way the listener serves plain
 * ones (same Request, Context, error hook, handler timeout and counters):
 * an upgraded Response (see `upgradedResponse`) is written as a 101 and
 * its connection piped to the client's; any other Response is written as
 * it is, and the connection closed, since Node's parser has let go of it.
 */
export function acceptUpgrades<Env>(app: App<Env>, options: ServeOptions<Env>, state: ListenerState): Upgrades {
  const env = options.env ?? (process.env as unknown as Env);
  const trust = options.trustProxy ?? false;
  const report = errorReporter(options.onError);
  const handlerTimeout = options.handlerTimeout ?? 0;
  const idleTimeout = options.upgradeIdleTimeout ?? 0;
  // Node's server forgets a socket once it is upgraded: a close must find them here.
  const sockets = new Set<Duplex>();
  const waiting: (() => void)[] = [];

  const listener = (req: IncomingMessage, socket: Duplex, firstBytes: Uint8Array): void => {
    sockets.add(socket);
    const counted = countIn(state, req);
    let request: NodeRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    /** An answer (or the 101) is on its way: nothing else may be written. */
    let answered = false;
    let settled = false;
    // The upgrade request is over: it no longer counts as in flight.
    const settle = (): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (counted) countOut(state);
    };
    // Node took its own listeners off the socket: without one, an error would be uncaught.
    socket.on('error', ignore);
    socket.once('close', () => {
      if (!socket.writableFinished) request?._disconnect();
      settle();
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of waiting.splice(0)) resolve();
    });
    // Read while the App works, or a client that leaves would go unnoticed
    // (its FIN waits behind unread bytes); what it sent early (its first
    // frames) is kept for the other side, up to a limit.
    const early: Uint8Array[] = firstBytes.byteLength > 0 ? [firstBytes] : [];
    let earlyBytes = firstBytes.byteLength;
    const onData = (chunk: Uint8Array): void => {
      early.push(chunk);
      earlyBytes += chunk.byteLength;
      if (earlyBytes >= MAX_EARLY_BYTES) socket.pause();
    };
    const onEnd = (): void => {
      if (!answered) socket.destroy();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    /** Stop reading for now; what came early, as one buffer. */
    const takeEarly = (): Uint8Array => {
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      return early.length === 1 ? early[0]! : Buffer.concat(early.splice(0));
    };
    const refuse = (status: number, message: string): void => {
      answered = true;
      if (timer !== undefined) clearTimeout(timer);
      takeEarly();
      sendText(socket, status, message);
    };

    // Only where Node lacks shouldUpgradeCallback: its parser has left the body in `firstBytes`.
    if (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0') {
      refuse(400, 'Bad Request: an upgrade request cannot carry a body');
      return;
    }
    try {
      const proto = trust !== false && trustsPeer(req, trust) ? forwardedProto(req) : socketProto(req);
      request = toRequest(req, requestUrl(req, proto), 0);
    } catch (error) {
      refuse(400, error instanceof BadRequestError ? error.message : 'Bad Request');
      return;
    }
    const current = request;

    timer = handlerDeadline(handlerTimeout, req, current, report, (message) => refuse(504, message));
    const fail = (error: unknown): void => {
      // Once the client left, or had its answer, nobody needs to hear of it.
      if (answered || socket.destroyed) return;
      report(error, req);
      refuse(500, 'Internal Server Error');
    };
    const send = (result: unknown): void => {
      if (!isResponseLike(result)) {
        fail(FROM_RESPONSE.notOne(result));
        return;
      }
      const upgraded = upgradedConnection(result);
      if (answered || socket.destroyed) {
        // Too late (timed out) or nobody left to answer.
        discard(result, upgraded);
        return;
      }
      if (upgraded === undefined) {
        if (result.status < 200) {
          discard(result, upgraded);
          fail(new TypeError(`The App answered ${result.status} without an upgraded connection (see upgradedResponse)`));
          return;
        }
        answered = true;
        clearTimeout(timer);
        takeEarly();
        writeResponse(socket, result, req.method === 'HEAD').catch((error: unknown) => {
          report(error, req);
          socket.destroy();
        });
        return;
      }
      if (upgraded.socket.destroyed) {
        // It closed between the handshake and now: nothing to tunnel to.
        discard(result, upgraded);
        refuse(502, 'Bad Gateway: the upgraded connection closed before it could be used');
        return;
      }
      answered = true;
      settle();
      tunnel(socket, takeEarly(), upgraded, result, req.headers.upgrade, idleTimeout);
    };

    callApp(app, current, env, new NodeContext(req, trust, state.work), send, fail);
  };

  return {
    listener,
    ended: () => (sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    closeAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Send the 101, then pass bytes both ways. A side that ends cleanly ends
 * the other once its last bytes are out (a WebSocket's close frame is
 * among them); a side that fails or is cut cuts the other.
 */
function tunnel(
  client: Duplex,
  clientHead: Uint8Array,
  upgraded: UpgradedConnection,
  response: ResponseLike,
  requested: string | undefined,
  idleTimeout: number,
): void {
  const origin = upgraded.socket;
  origin.on('error', ignore);
  client.write(switchingProtocols(response, requested), 'latin1');
  if (upgraded.received.byteLength > 0) client.write(upgraded.received);
  if (clientHead.byteLength > 0) origin.write(clientHead);
  // Frames are small and interactive: Nagle's delay would only hold them up.
  (client as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  (origin as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.pipe(origin);
  origin.pipe(client);
  client.once('close', () => follow(origin));
  origin.once('close', () => follow(client));
  if (idleTimeout > 0) {
    // Bytes either way are activity on both sockets (one reads, the other writes).
    const cut = (): void => {
      client.destroy();
      origin.destroy();
    };
    for (const side of [client, origin]) (side as { setTimeout?: (ms: number, onTimeout: () => void) => void }).setTimeout?.(idleTimeout, cut);
  }
}

function follow(other: Duplex): void {
  if (other.destroyed) return;
  if (other.writableEnded && !other.writableFinished) other.once('finish', () => other.destroy());
  else other.destroy();
}

function switchingProtocols(response: ResponseLike, requested: string | undefined): string {
  let lines = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const [name, value] of response.headers) {
    // These lines say Connection and Upgrade itself, and nothing frames a body.
    if (name !== 'content-length' && !isHopByHop(name) && safe(name, value)) lines += `${name}: ${value}\r\n`;
  }
  const protocol = response.headers.get('upgrade') ?? requested ?? 'websocket';
  return `${lines}connection: Upgrade\r\nupgrade: ${safe('upgrade', protocol) ? protocol : 'websocket'}\r\n\r\n`;
}

/**
 * Write an ordinary Response on the raw socket, then close it: chunked
 * unless it gives its length, so that a body cut short shows.
 */
async function writeResponse(socket: Duplex, response: ResponseLike, isHeadRequest: boolean): Promise<void> {
  const body = response.body;
  const bodiless = isHeadRequest || body === null || isNullBodyStatus(response.status);
  const length = response.headers.get('content-length');
  const chunked = !bodiless && length === null;
  const reason = (response.statusText || STATUS_CODES[response.status] || '').replace(/[\r\n]/g, '');
  let lines = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  let dated = false;
  for (const [name, value] of response.headers) {
    // Connection-level fields: these lines say Connection themselves, and the body is framed here.
    if (isHopByHop(name) || !safe(name, value)) continue;
    if (name === 'date') dated = true;
    lines += `${name}: ${value}\r\n`;
  }
  if (!dated) lines += `date: ${new Date().toUTCString()}\r\n`;
  if (chunked) lines += 'transfer-encoding: chunked\r\n';
  socket.write(`${lines}connection: close\r\n\r\n`, 'latin1');
  if (bodiless) {
    body?.cancel().catch(ignore);
    endSoon(socket);
    return;
  }
  const reader = body!.getReader();
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (socket.destroyed) {
        reader.cancel().catch(ignore);
        return;
      }
      const bytes = toBytes(chunk.value);
      if (bytes.byteLength === 0) continue;
      if (chunked) socket.write(`${bytes.byteLength.toString(16)}\r\n`, 'latin1');
      const more = socket.write(bytes);
      if (chunked) socket.write('\r\n', 'latin1');
      if (!more) await drained(socket);
    }
  } catch (error) {
    reader.cancel().catch(ignore);
    throw error;
  }
  if (chunked) socket.write('0\r\n\r\n', 'latin1');
  endSoon(socket);
}

function sendText(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  endSoon(socket);
}

/** End the connection, and let go of it once the answer is out, as Node's server does after `Connection: close`. */
function endSoon(socket: Duplex): void {
  socket.once('finish', () => socket.destroy());
  socket.end();
}

function discard(response: ResponseLike, upgraded: UpgradedConnection | undefined): void {
  if (upgraded !== undefined) upgraded.socket.destroy();
  const body = response.body;
  if (body !== null && typeof body.cancel === 'function' && !body.locked) body.cancel().catch(ignore);
}

/** A field a Headers object let through has no line breaks; one from elsewhere is checked. */
function safe(name: string, value: string): boolean {
  return !/[\r\n:]/.test(name) && !/[\r\n]/.test(value);
}
