import { connect, type Socket } from 'node:net';
import { openFileLimits } from './proc.ts';

/**
 * The clients of the connections bench (connections.ts): a process of its
 * own, pinned to the load CPU, so that ten thousand sockets and their
 * buffers weigh neither on the bench's process nor on the server's CPU.
 * Driven over IPC, one command at a time. Plain node:net rather than an
 * http.Agent: an agent hands a freed keep-alive socket to the next request,
 * and every connection here must be a connection of its own.
 */

export type Command =
  /** Open `count` connections, each sending `GET path` and waiting for the whole answer or for a first event. */
  | { type: 'open'; port: number; path: string; count: number; wait: 'answer' | 'event' }
  /** How many of the opened connections are still open. */
  | { type: 'count' }
  /** Close them all. */
  | { type: 'close' };

export type Reply =
  | { type: 'opened'; open: number }
  | { type: 'count'; open: number; lost: number; why: string }
  | { type: 'closed' }
  | { type: 'error'; message: string };

// Bounded batches: a listen backlog (511 for Node and nginx) must never overflow,
// and a server that stops answering shows up within one batch's time.
const BATCH = 500;
const BATCH_MS = 15_000;

const open = new Set<Socket>();
let lost = 0;
let why = '';
let closing = false;

if (process.send === undefined) throw new Error('connection-client.ts is run by connections.ts, over IPC');
// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
process.on('message', (command: Command) => {
  handle(command).then(send, (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
});

function send(reply: Reply): void {
  process.send!(reply);
}

async function handle(command: Command): Promise<Reply> {
  switch (command.type) {
    case 'open':
      await openAll(command.port, command.path, command.count, command.wait);
      return { type: 'opened', open: open.size };
    case 'count':
      return { type: 'count', open: open.size, lost, why };
    case 'close':
      await closeAll();
      return { type: 'closed' };
  }
}

async function openAll(port: number, path: string, count: number, wait: 'answer' | 'event'): Promise<void> {
  closing = false;
  lost = 0;
  why = '';
  const limit = openFileLimits().soft;
  if (open.size + count + 64 > limit) throw new Error(`the client process may open ${limit} files, too few for ${count} more connections`);
  for (let done = 0; done < count; done += BATCH) {
    const size = Math.min(BATCH, count - done);
    const batch = Promise.all(Array.from({ length: size }, (_, i) => openOne(port, path, wait, done + i + 1)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`connections ${done + 1}–${done + size} to port ${port} were not all answered within ${BATCH_MS / 1000} s`)),
        BATCH_MS,
      );
    });
    try {
      await Promise.race([batch, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function openOne(port: number, path: string, wait: 'answer' | 'event', n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setEncoding('latin1');
    let received = '';
    let ready = false;
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    socket.on('data', (chunk: string) => {
      // Past the first answer, the events that follow are read and dropped.
      if (ready) return;
      received += chunk;
      const verdict = judge(received, wait);
      if (verdict === undefined) return;
      if (verdict !== 'ok') {
        socket.destroy();
        reject(new Error(`connection ${n} to port ${port}: ${verdict}`));
        return;
      }
      ready = true;
      received = '';
      open.add(socket);
      resolve();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (ready) why = error.code ?? error.message;
      else reject(new Error(`connection ${n} to port ${port}: ${error.code ?? error.message}`));
    });
    socket.on('close', () => {
      if (!ready) reject(new Error(`connection ${n} to port ${port}: closed by the server before it answered`));
      else if (open.delete(socket) && !closing) {
        lost++;
        why ||= 'closed by the server';
      }
    });
  });
}

/** 'ok' once `received` holds what the connection waits for, a reason when it went wrong, undefined while it may still come. */
function judge(received: string, wait: 'answer' | 'event'): string | undefined {
  const end = received.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const statusLine = received.slice(0, received.indexOf('\r\n'));
  if (!statusLine.startsWith('HTTP/1.1 200 ')) return `answered ${statusLine}`;
  const head = received.slice(0, end + 2).toLowerCase();
  const body = received.slice(end + 4);
  if (/\r\nconnection: *close\r\n/.test(head)) return 'the server means to close the connection (Connection: close)';
  if (wait === 'event') return body.includes('\n\n') ? 'ok' : undefined;
  const length = /\r\ncontent-length: *(\d+)\r\n/.exec(head);
  if (length !== null) return body.length >= Number(length[1]) ? 'ok' : undefined;
  if (/\r\ntransfer-encoding: *chunked\r\n/.test(head)) return body.endsWith('0\r\n\r\n') ? 'ok' : undefined;
  return 'an answer without Content-Length or chunked encoding, which only the end of the connection ends';
}

async function closeAll(): Promise<void> {
  closing = true;
  const closed = [...open].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
  for (const socket of open) socket.destroy();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  open.clear();
}
