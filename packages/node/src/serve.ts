import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@gatehouse/core';
import { createListenerWithState } from './listener.ts';
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
  const close = async (): Promise<void> => {
    // From here every answer not yet under way says Connection: close.
    state.closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle =
      state.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (state.onIdle = resolve));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), gracefulTimeout);
    });
    const finished = idle.then(async () => {
      // Keep-alive connections that were mid-request are idle now.
      server.closeIdleConnections();
      await state.work.settled();
    });
    await Promise.race([finished, deadline]);
    clearTimeout(timer);
    server.closeAllConnections();
    await stopped;
  };

  return {
    url: `http://${host}:${port}/`,
    port,
    server,
    close: () => (closing ??= close()),
  };
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
