import { request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';

/** A server under test: where it listens on 127.0.0.1. */
export interface Listening {
  readonly port: number;
}

export function socketTo(server: Listening): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Send raw bytes and collect the reply until the server closes the connection. */
export async function rawExchange(server: Listening, ...parts: (string | Uint8Array)[]): Promise<string> {
  const socket = await socketTo(server);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    for (const part of parts) socket.write(part);
  });
}

/** Resolves with what arrived once `text` is among it. */
export function readUntil(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (seen.includes(text)) {
        socket.off('data', onData);
        resolve(seen);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before ${JSON.stringify(text)} arrived; got ${JSON.stringify(seen)}`)));
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `promise`, or a rejection saying `what` did not happen within `ms`: the
 * bound of a wait for an event, generous since only a failure reaches it.
 * `onLate` runs first then, to end what was waited for (abort a request
 * that would otherwise hold the test's teardown up).
 */
export function within<T>(promise: Promise<T>, ms: number, what: string, onLate?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.();
      reject(new Error(`${what} within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** An answer as a Node client read it, without the fields that change per connection or per second. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, one character per byte. */
  body: string;
}

/** Send one request with Node's own client and read the whole answer. */
export function request(server: Listening, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = res.headers;
        resolve({ status: res.statusCode!, headers: rest, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A port free now on 127.0.0.1, for a process under test that must be
 * told one before it starts. It is taken below Linux's ephemeral range
 * (32768–60999): a port the kernel hands out for port 0 can be given
 * again as the local port of any outgoing connection before the process
 * under test binds it ("already in use" under load). Each candidate is
 * checked by binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 24_000 + Math.floor(Math.random() * 8_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
    if (attempt >= 50) throw new Error('freePort: no free port found between 24000 and 32000');
  }
}
