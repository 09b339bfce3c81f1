import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ResponseParser, type ResponseEvents } from './response-parser.ts';

/** Where one upstream server is, from its origin (`http://127.0.0.1:8080`), or its unix socket. */
export interface Endpoint {
  /** The origin (and socket), as the pool's key. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** Connect here instead of host and port. */
  readonly socketPath: string | undefined;
}

/** What happens on a connection, reported to whoever is using it. */
export interface ConnectionUser extends ResponseEvents {
  onSocketError(error: Error): void;
  onSocketClose(): void;
}

/** One keep-alive connection to an upstream server, and its response parser. */
export class Connection {
  readonly socket: Socket;
  readonly endpoint: Endpoint;
  readonly parser: ResponseParser;
  /** Whoever sends on it now; undefined while it waits in the pool. */
  user: ConnectionUser | undefined;
  /** Requests it has carried. */
  uses = 0;
  idleTimer: NodeJS.Timeout | undefined;
  /** Called when it closes while idle in the pool. */
  onIdleClose: (() => void) | undefined;

  constructor(socket: Socket, endpoint: Endpoint) {
    this.socket = socket;
    this.endpoint = endpoint;
    this.parser = new ResponseParser({
      onHead: (head) => this.user?.onHead(head),
      onData: (chunk) => this.user?.onData(chunk),
      onEnd: (rest) => this.user?.onEnd(rest),
    });
    socket.on('data', (chunk: Buffer) => {
      const user = this.user;
      if (user === undefined) {
        // Bytes nobody asked for: the server is confused; the connection goes.
        socket.destroy();
        return;
      }
      try {
        this.parser.execute(chunk);
      } catch (error) {
        socket.destroy();
        user.onSocketError(error as Error);
      }
    });
    socket.on('error', (error: Error) => this.user?.onSocketError(error));
    socket.on('close', () => {
      const user = this.user;
      if (user === undefined) {
        this.onIdleClose?.();
        return;
      }
      try {
        this.parser.close();
      } catch (error) {
        user.onSocketError(error as Error);
        return;
      }
      user.onSocketClose();
    });
  }
}

/**
 * Keep-alive connections per upstream server: the most recently used idle
 * one first (its server is the least likely to have closed it), closed
 * after `keepAliveTimeout` of rest. An idle connection does not keep the
 * process alive.
 */
export class Connections {
  readonly #idle = new Map<string, Connection[]>();
  readonly #keepAliveTimeout: number;
  readonly #ca: string | readonly string[] | undefined;
  #closed = false;

  constructor(keepAliveTimeout: number, ca: string | readonly string[] | undefined) {
    this.#keepAliveTimeout = keepAliveTimeout;
    this.#ca = ca;
  }

  /** An idle connection to `endpoint`, taken out of the pool, if there is one. */
  take(endpoint: Endpoint): Connection | undefined {
    const list = this.#idle.get(endpoint.key);
    for (let connection = list?.pop(); connection !== undefined; connection = list!.pop()) {
      clearTimeout(connection.idleTimer);
      if (!connection.socket.destroyed && connection.socket.writable) {
        connection.socket.ref();
        return connection;
      }
    }
    return undefined;
  }

  /** Open a connection; `ready` once it can carry a request. */
  open(endpoint: Endpoint, ready: (connection: Connection) => void, failed: (error: Error) => void): Connection {
    const where = endpoint.socketPath === undefined ? { host: endpoint.host, port: endpoint.port } : { path: endpoint.socketPath };
    const socket = endpoint.secure
      ? tlsConnect({
          ...where,
          servername: isIP(endpoint.host) === 0 ? endpoint.host : undefined,
          ALPNProtocols: ['http/1.1'],
          ca: this.#ca as string | string[] | undefined,
        })
      : netConnect(where);
    socket.setNoDelay(true);
    const connection = new Connection(socket, endpoint);
    const onError = (error: Error): void => failed(error);
    socket.once('error', onError);
    socket.once(endpoint.secure ? 'secureConnect' : 'connect', () => {
      socket.off('error', onError);
      ready(connection);
    });
    return connection;
  }

  /** Put a connection whose exchange is over back, kept no longer than the server's `hint` (ms) says. */
  release(connection: Connection, hint?: number): void {
    const keepAlive = hint === undefined ? this.#keepAliveTimeout : Math.min(hint, this.#keepAliveTimeout);
    connection.user = undefined;
    const socket = connection.socket;
    if (this.#closed || socket.destroyed || keepAlive <= 0) {
      socket.destroy();
      return;
    }
    socket.unref();
    const key = connection.endpoint.key;
    let list = this.#idle.get(key);
    if (list === undefined) this.#idle.set(key, (list = []));
    list.push(connection);
    const leave = (): void => {
      clearTimeout(connection.idleTimer);
      const at = list.indexOf(connection);
      if (at !== -1) list.splice(at, 1);
    };
    connection.onIdleClose = leave;
    connection.idleTimer = setTimeout(() => {
      leave();
      socket.destroy();
    }, keepAlive);
    connection.idleTimer.unref();
  }

  /** Close every idle connection; those in use close once their exchange is over. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) {
      for (const connection of list.splice(0)) {
        clearTimeout(connection.idleTimer);
        connection.socket.destroy();
      }
    }
  }
}
