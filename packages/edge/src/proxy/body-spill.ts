/**
 * Where a proxy puts a client's body that is too long to hold in memory
 * while it is read ahead of the server (`buffering.requestFile`), as
 * nginx writes such bodies to `client_body_temp_path`. The edge runs
 * where there may be no disk, so it only describes one: on Node,
 * `fileSpill()` from `@gatehouse/edge-node` writes temp files, and that
 * package's `defineEdge` gives it to every route by default.
 */
export interface BodySpill {
  /** A new, empty place for one body. Rejecting fails that request (500), as nginx does when it cannot write a temp file. */
  create(): Promise<SpillFile>;
}

/** One body spilled by a {@link BodySpill}, written once, then read once per attempt. */
export interface SpillFile {
  /** Append `chunk`; the next write waits for this one, so a slow disk slows the reading of the client. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /**
   * The bytes written so far, from the first: a new stream at each call,
   * one per attempt, so a retry sends the body again. It reads only when
   * pulled, so a stream made for an attempt that never connected costs
   * nothing.
   */
  stream(): ReadableStream<Uint8Array>;
  /**
   * Delete what was written. Called once the exchange is over (the
   * answer's body read or cancelled, or the request failed), after which
   * no stream of it is read; calling it again does nothing.
   */
  remove(): Promise<void>;
}
