import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { type AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { App } from '@gatehouse/core';
import { answeredButReading } from './_body.ts';
import { acceptUpgrades, isWebSocketUpgrade } from './_upgrade.ts';
import { createListenerWithState, type ListenerState } from './listener.ts';
import type { NodeServer, ServeOptions } from './options.ts';

/**
 * Serve `app` over HTTP/1.1 on Node, the way gunicorn serves a WSGI app.
 * Resolves once the server is listening.
 *
 * @example
 * ```ts
 * import { serve } from '@gatehouse/node'
 *
 * const server = await serve({ fetch: () => new Response('hello') }, { port: 3000 })
 * console.log(`listening on ${server.url}`)
 * process.once('SIGTERM', () => server.close())
 * ```
 */
export async function serve<Env = {}>(app: App<Env>, options: ServeOptions<Env> = {}): Promise<NodeServer> {
  return (await serveWithState(app, options)).server;
}

/**
 * What the container needs beside the server: the listener's counters, and
 * a close that spares idle keep-alive connections.
 * @internal
 */
export interface ServedApp {
  readonly server: NodeServer;
  readonly state: ListenerState;
  /**
   * Stop accepting connections, like `close()`, but leave idle keep-alive
   * connections to end on their own: closing one at the moment its client
   * reuses it loses that request, which a reload must never do. Each ends
   * after its next answer (sent with `Connection: close`) or once
   * `keepAliveTimeout` passes; `gracefulTimeout` bounds the wait.
   */
  drain(): Promise<void>;
}

/** @internal */
export async function serveWithState<Env>(app: App<Env>, options: ServeOptions<Env>): Promise<ServedApp> {
  const { listener, state, bodyTooLarge } = createListenerWithState(app, options);
  const timeouts = {
    // Node wants headersTimeout ≤ requestTimeout: a short requestTimeout lowers the default.
    headersTimeout: options.headersTimeout ?? Math.min(30_000, options.requestTimeout || 30_000),
    requestTimeout: options.requestTimeout ?? 300_000,
    keepAliveTimeout: options.keepAliveTimeout ?? 5_000,
    // Node looks for connections past headersTimeout and requestTimeout
    // every 30 s unless told: a 30 s timeout would then hold up to 60 s.
    connectionsCheckingInterval: 1_000,
  };
  const shouldUpgradeCallback = isWebSocketUpgrade;
  const server: HttpServer | Http2SecureServer =
    options.tls === undefined
      ? createServer({ ...timeouts, shouldUpgradeCallback, ...options.serverOptions }, listener as (req: IncomingMessage, res: ServerResponse) => void)
      : createSecureServer(
          { ...tlsMaterial(options.tls), allowHTTP1: true, shouldUpgradeCallback } as Parameters<typeof createSecureServer>[0],
          listener as unknown as Parameters<typeof createSecureServer>[1],
        );
  const connections = trackConnections(server);
  // WebSocket upgrades (HTTP/1.1 only; on HTTP/2 Node emits none).
  const upgrades = acceptUpgrades(app, options, state);
  server.on('upgrade', upgrades.listener);

  // Answer `Expect: 100-continue` ourselves, so a body over the limit is
  // refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!bodyTooLarge(req)) res.writeContinue();
    listener(req, res);
  });
  const redirectServer =
    options.tls !== undefined && options.redirectHttp !== undefined ? await listenRedirect(options, hostnameOf(options)) : undefined;

  // Node's parser refuses malformed requests; give the client a reason, not only a status.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'HPE_CLOSED_CONNECTION' && inFlight) {
      // Bytes after the last request of the connection (Connection: close,
      // HTTP/1.0): that request is answered, then the connection closes;
      // what followed is never read, as nginx and RFC 9112 §9.6 have it.
      return;
    }
    if (!socket.writable || inFlight?.headersSent || answeredButReading(socket)) {
      // Part of an answer went out (a status now would corrupt it), or
      // the whole of it: the request timed out while its unread body was
      // being dropped, and one answer per request is all a client gets.
      socket.destroy();
      return;
    }
    // Even with the App waiting for the body (a bad chunk, a body too
    // slow for requestTimeout), no byte of its answer went out yet: the
    // client gets the status, and whatever the App writes later goes nowhere.
    const [status, reason] = clientErrorStatus(error.code);
    endWith(socket, status, reason);
  });
  // Node hands CONNECT to this event, not to the listener; a server with no
  // handler closes the socket without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => endWith(socket, 501, 'Not Implemented'));

  const hostname = hostnameOf(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  redirectServer?.on('request', (req: IncomingMessage, res: ServerResponse) => redirectToHttps(req, res, port));

  let closing: Promise<void> | undefined;
  const gracefulTimeout = options.gracefulTimeout ?? 30_000;
  const withDeadline = async (finished: Promise<void>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, gracefulTimeout);
    });
    await Promise.race([finished, deadline]);
    clearTimeout(timer);
    connections.closeAll();
    upgrades.closeAll();
  };
  const close = async (): Promise<void> => {
    // From here every answer not yet under way says Connection: close.
    state.closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    connections.closeIdle();
    const idle =
      state.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (state.onIdle = resolve));
    redirectServer?.close();
    redirectServer?.closeAllConnections();
    await withDeadline(
      idle.then(async () => {
        // Keep-alive connections that were mid-request are idle now.
        connections.closeIdle();
        await state.work.settled();
        // Open WebSockets have no way to be asked to close: they get until the deadline.
        await upgrades.ended();
      }),
    );
    await stopped;
  };
  const drain = async (): Promise<void> => {
    state.closing = true;
    // net's close stops accepting and calls back once every connection has
    // ended; http's own close would first cut the idle ones.
    const ended = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    await withDeadline(ended.then(() => state.work.settled()));
    await ended;
    // Let http's close clear its timers too; the server is already stopped.
    server.close(() => {});
  };

  const served: NodeServer = {
    url: `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}/`,
    port,
    server,
    redirectServer,
    close: () => (closing ??= close()),
  };
  return { server: served, state, drain: () => (closing ??= drain()) };
}

interface Connections {
  closeIdle(): void;
  closeAll(): void;
}

/**
 * node:http can close its idle or all connections itself; the secure
 * HTTP/2 server cannot, so its sessions and sockets are tracked here.
 */
function trackConnections(server: HttpServer | Http2SecureServer): Connections {
  if (!('closeAllConnections' in server)) {
    const sessions = new Set<{ close(): void }>();
    const sockets = new Set<{ destroy(): void }>();
    // A connection still in its handshake when the close began arrives late: it is closed on arrival.
    let idleClosed = false;
    let allClosed = false;
    server.on('session', (session) => {
      if (idleClosed) session.close();
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    server.on('secureConnection', (socket) => {
      if (allClosed) socket.destroy();
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return {
      // A session's close sends GOAWAY and lets its open streams finish.
      closeIdle: () => {
        idleClosed = true;
        sessions.forEach((session) => session.close());
      },
      closeAll: () => {
        allClosed = true;
        sockets.forEach((socket) => socket.destroy());
      },
    };
  }
  return { closeIdle: () => server.closeIdleConnections(), closeAll: () => server.closeAllConnections() };
}

function hostnameOf(options: ServeOptions<unknown>): string {
  return options.hostname ?? '127.0.0.1';
}

function tlsMaterial(tls: NonNullable<ServeOptions<unknown>['tls']>): { cert: string | Buffer; key: string | Buffer } {
  if (tls.certFile !== undefined) return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  const pem = (value: string | Uint8Array): string | Buffer => (typeof value === 'string' ? value : Buffer.from(value));
  return { cert: pem(tls.cert), key: pem(tls.key) };
}

async function listenRedirect(options: ServeOptions<unknown>, hostname: string): Promise<HttpServer> {
  const redirect = createServer({ keepAliveTimeout: 1_000 });
  await new Promise<void>((resolve, reject) => {
    redirect.once('error', reject);
    redirect.listen(options.redirectHttp, hostname, () => {
      redirect.off('error', reject);
      resolve();
    });
  });
  return redirect;
}

function redirectToHttps(req: IncomingMessage, res: ServerResponse, httpsPort: number): void {
  // The Host header names the plain port: keep its name, swap the port.
  const name = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (name === '' || /[^\w.\-:[\]]/.test(name)) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Bad Request\n');
    return;
  }
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  res.writeHead(308, { location: `https://${name}${port}${req.url ?? '/'}`, 'content-length': '0' }).end();
}

/**
 * Answer on a socket no ServerResponse will write to, and close it. The
 * client may still be sending: the rest is read and dropped for a moment,
 * so that closing with unread bytes does not reset the connection before
 * the client has read the answer.
 */
function endWith(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER).unref();
}

/** How long a connection closed with an error answer is read on (nginx's `lingering_timeout`). */
const LINGER = 5_000;

function clientErrorStatus(code: string | undefined): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout'];
    default:
      return [400, 'Bad Request'];
  }
}
