import { BodyTooLargeError, ClientAbortedError } from './errors.ts';
import type { IncomingRequest } from './types.ts';

/**
 * How many bytes of request body may be read from the socket ahead of the
 * App. Past it the socket is paused, so a slow App never makes the server
 * hold a whole upload in memory. A body up to this size is taken off
 * Node's stream as it arrives, so it stays readable even if the client
 * disconnects before the App gets to it.
 */
const READ_AHEAD = 64 * 1024;

/**
 * Read on and drop what is left of a body nobody will read, so that the
 * connection can carry its next request, but no more than `left` bytes: a
 * body past the size limit could not have been accepted anyway, and one
 * that never ends would be read for ever (nginx stops too). Past it the
 * request is destroyed, which closes an HTTP/1 connection (its answer is
 * out by then) or resets an HTTP/2 stream.
 */
export function discardUpTo(req: IncomingRequest, left: number): void {
  const socket = req.socket;
  discarding.add(socket);
  req.on('data', (chunk: Buffer) => {
    left -= chunk.byteLength;
    if (left < 0) req.destroy();
  });
  req.once('end', () => discarding.delete(socket));
  req.resume();
}

/**
 * A buffer for a whole body of `size` bytes, about to be overwritten: from
 * 4 KiB on it skips the zero fill (a megabyte upload spent more on it than
 * on copying; below, the fill costs next to nothing). Never from Node's
 * shared pool: always a plain Uint8Array at offset 0 of its own
 * ArrayBuffer, so `arrayBuffer()` can hand that over without a copy.
 */
function wholeOf(size: number): Uint8Array {
  if (size < 4096) return new Uint8Array(size);
  const unfilled = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(unfilled.buffer, unfilled.byteOffset, size);
}

/** Connections reading on a body whose request was answered already. */
const discarding = new WeakSet<object>();

/**
 * Whether `socket` is dropping the rest of a body whose request was
 * answered: a timeout there ends the connection without another answer.
 */
export function answeredButReading(socket: object): boolean {
  return discarding.has(socket);
}

/**
 * A request body read from Node's request: as a web ReadableStream that
 * pulls from the socket only as fast as the App consumes it, or whole, for
 * `text()`, `json()` and the like, without a web stream in between. Bytes
 * are counted against `limit`, for chunked bodies whose size is not
 * declared up front.
 */
export class NodeBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #req: IncomingRequest;
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #received = 0;
  #ended = false;
  #failure: Error | undefined = undefined;
  #discarding = false;
  #wholeWanted = false;
  #wake: (() => void) | undefined = undefined;

  constructor(req: IncomingRequest, limit: number) {
    this.#req = req;
    this.#limit = limit;
    // `on`, not `once`: each handler acts once anyway, and `once` makes a wrapper per request.
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    // Node reports a disconnect before the end of the body as an error
    // ("aborted") on the request; a body already complete is not touched.
    req.on('error', this.#onError);
    // HTTP/2 reports a reset stream with 'aborted' (or only its reset code,
    // read at the end) and then ends the body as if it were whole.
    req.on('aborted', this.#onAborted);
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.#pull(controller),
        cancel: () => this.discard(),
      },
      { highWaterMark: 0 },
    );
  }

  /** The whole body, once it has arrived. */
  async readAll(): Promise<Uint8Array> {
    // All of it is wanted now: holding the socket back at READ_AHEAD would
    // only cost a pause and a resume per chunk (the size limit still holds).
    this.#wholeWanted = true;
    while (!this.#ended) {
      if (this.#failure !== undefined) throw this.#failure;
      await this.#next();
    }
    if (this.#failure !== undefined) throw this.#failure;
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    if (chunks.length === 1) return chunks[0]!;
    const whole = wholeOf(this.#received);
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return whole;
  }

  /**
   * Drop whatever is left, so the connection is free for its next request.
   * A body refused for its size is not read on: the connection closes
   * instead (the listener asked for that before the head went out).
   */
  discard(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    this.#chunks = [];
    this.#buffered = 0;
    this.#req.off('data', this.#onData);
    if (!this.#ended && !this.#req.destroyed && !this.tooLarge) discardUpTo(this.#req, this.#limit - this.#received);
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (this.#chunks.length === 0 && !this.#ended && this.#failure === undefined) {
      await this.#next();
    }
    if (this.#failure !== undefined) {
      controller.error(this.#failure);
      return;
    }
    const chunk = this.#chunks.shift();
    if (chunk === undefined) {
      controller.close();
      return;
    }
    this.#buffered -= chunk.byteLength;
    controller.enqueue(chunk);
  }

  /** Wait for more data, the end, or a failure. */
  #next(): Promise<void> {
    this.#req.resume();
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#received += chunk.byteLength;
    if (this.#received > this.#limit) {
      this.#fail(new BodyTooLargeError(this.#limit));
      return;
    }
    // A Uint8Array view, not the Buffer: Buffer#slice shares memory where
    // Uint8Array#slice copies, and Apps expect the latter.
    this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#buffered += chunk.byteLength;
    if (this.#wholeWanted) return; // readAll wakes at the end, not per chunk
    if (this.#buffered >= READ_AHEAD) this.#req.pause();
    this.#notify();
  };

  readonly #onEnd = (): void => {
    // An HTTP/2 stream the client reset ends its body as if it were whole.
    const rstCode = (this.#req as { stream?: { rstCode?: number } }).stream?.rstCode;
    if (rstCode !== undefined && rstCode !== 0) {
      this.#fail(new ClientAbortedError());
      return;
    }
    this.#ended = true;
    this.#notify();
  };

  readonly #onError = (error: Error): void => {
    if (this.#ended) return;
    this.#fail(new ClientAbortedError({ cause: error }));
  };

  readonly #onAborted = (): void => {
    if (this.#ended) return;
    this.#fail(new ClientAbortedError());
  };

  /** Whether the body was refused for its size: the connection cannot carry another request. */
  get tooLarge(): boolean {
    return this.#failure instanceof BodyTooLargeError;
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#chunks = [];
    this.#buffered = 0;
    this.#req.off('data', this.#onData);
    this.#req.pause();
    this.#notify();
  }
}
