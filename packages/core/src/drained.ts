/**
 * What an adapter waits on when a write did not fit: a Node `Writable`
 * (a socket, a server response, Lambda's response stream), described by
 * the events it emits so that no runtime is imported here.
 */
export interface Drainable {
  readonly destroyed?: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Resolves once `stream` drains, or closes (a destroyed one never drains,
 * and a client that left must not hold its writer forever). For adapters.
 */
export function drained(stream: Drainable): Promise<void> {
  if (stream.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
