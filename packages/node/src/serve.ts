import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import type { App } from '@gatehouse/core';
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
  const server = createServer(
    {
      // Node wants headersTimeout ≤ requestTimeout: a short requestTimeout lowers the default.
      headersTimeout: options.headersTimeout ?? Math.min(30_000, options.requestTimeout || 30_000),
      requestTimeout: options.requestTimeout ?? 300_000,
      keepAliveTimeout: options.keepAliveTimeout ?? 5_000,
      ...options.serverOptions,
    },
    listener as (req: IncomingMessage, res: ServerResponse) => void,
  );

  // Answer `Expect: 100-continue` ourselves, so a body over the limit is
  // refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!bodyTooLarge(req)) res.writeContinue();
    listener(req, res);
  });

  // Node's parser refuses malformed requests; give the client a reason, not only a status.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const [status, reason] = clientErrorStatus(error.code);
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;

  let closing: Promise<void> | undefined;
  const gracefulTimeout = options.gracefulTimeout ?? 30_000;
  const withDeadline = async (finished: Promise<void>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, gracefulTimeout);
    });
    await Promise.race([finished, deadline]);
    clearTimeout(timer);
    server.closeAllConnections();
  };
  const close = async (): Promise<void> => {
    // From here every answer not yet under way says Connection: close.
    state.closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle =
      state.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (state.onIdle = resolve));
    await withDeadline(
      idle.then(async () => {
        // Keep-alive connections that were mid-request are idle now.
        server.closeIdleConnections();
        await state.work.settled();
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
    url: `http://${host}:${port}/`,
    port,
    server,
    close: () => (closing ??= close()),
  };
  return { server: served, state, drain: () => (closing ??= drain()) };
}

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
