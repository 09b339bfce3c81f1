import { createWriteStream, type WriteStream } from 'node:fs';

/** An access log file, as `accessLog.write` of the edge config takes it. */
export interface AccessLogFile {
  /** Appends `line` and a newline. */
  readonly write: (line: string) => void;
  /** Closes the file again under its name (after logrotate moved it): what SIGUSR1 does. */
  reopen(): void;
  /** Flushes and closes the file; stops listening for SIGUSR1. */
  close(): Promise<void>;
}

/**
 * Appends the edge's access log lines to `path`, as nginx's `access_log`
 * does, and opens it again on SIGUSR1 (nginx's `kill -USR1`, which
 * logrotate sends after moving the file away): lines then go to a new file
 * under the same name, none lost. Writes are buffered by Node's stream and
 * never wait on the answer.
 *
 * @example
 * ```ts
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { accessLogFile } from '@gatehouse/edge-node/access-log'
 *
 * const log = accessLogFile('/var/log/gatehouse/access.log')
 * export default defineEdge({ accessLog: { write: log.write }, routes: { '/': { respond: 'ok' } } })
 * ```
 */
export function accessLogFile(path: string, options: { signal?: NodeJS.Signals | false } = {}): AccessLogFile {
  let stream: WriteStream = open(path);
  const signal = options.signal ?? 'SIGUSR1';
  const reopen = (): void => {
    const old = stream;
    stream = open(path);
    old.end();
  };
  if (signal !== false) process.on(signal, reopen);
  return {
    write: (line) => void stream.write(`${line}\n`),
    reopen,
    close: () => {
      if (signal !== false) process.off(signal, reopen);
      return new Promise((resolve) => stream.end(resolve));
    },
  };
}

function open(path: string): WriteStream {
  const stream = createWriteStream(path, { flags: 'a' });
  // A log that cannot be written must not bring the edge down: nginx goes on too.
  stream.on('error', (error) => console.error(`[gatehouse] access log ${path}: ${error.message}`));
  return stream;
}
