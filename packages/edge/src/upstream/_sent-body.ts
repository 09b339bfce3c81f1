import { type ClientBodyRead, readClientBody } from './transport.ts';

/** An exchange's clock for the server: it runs while the exchange waits for the server, not for the client. */
export interface ServerClock {
  start(): void;
  stop(): void;
}

/**
 * The client's body as a fetch-like exchange sends it.
 *
 * Its stream starts reading `source` only once it is read itself, so an
 * attempt that failed before sending any of the body leaves `source`
 * whole for the next server (`source.locked` then tells whether any of it
 * went out); cancelling it before it read leaves `source` alone for the
 * same reason.
 *
 * It also tells the exchange whom it waits for, as nginx tells
 * `client_body_timeout` from `proxy_send_timeout`: while the consumer
 * (fetch, an App) waits for the client's next piece, the server's clock
 * is stopped and the client has `clientBodyTimeout` to send it; once a
 * piece, or the end, is handed over, the server's clock runs again until
 * the consumer asks for more or the response head arrives.
 */
export class SentBody {
  readonly stream: ReadableStream<Uint8Array>;
  /** Why reading the client's body failed (it left, sent too much, or stalled): the client's failure, passed on as it is. */
  failure: unknown = undefined;

  constructor(source: ReadableStream<Uint8Array>, clientBodyTimeout: number, clock: ServerClock) {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          reader ??= source.getReader();
          clock.stop();
          let result: ClientBodyRead;
          try {
            result = await readClientBody(reader, clientBodyTimeout);
          } catch (error) {
            this.failure = error;
            throw error;
          }
          clock.start();
          if (result.done) controller.close();
          else controller.enqueue(result.value);
        },
        cancel(reason) {
          return reader?.cancel(reason);
        },
      },
      // Nothing is pulled before a consumer asks.
      { highWaterMark: 0 },
    );
  }
}

/** A {@link ServerClock} that can also be ended for good (the response head arrived). */
export interface EndingClock extends ServerClock {
  end(): void;
}

/**
 * A server clock of `ms` (0: none) that calls `expire` when the server
 * has kept the exchange waiting that long in one stretch.
 */
export function serverClock(ms: number, expire: () => void): EndingClock {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = ms <= 0;
  return {
    start() {
      if (ended) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(expire, ms);
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    end() {
      ended = true;
      this.stop();
    },
  };
}
