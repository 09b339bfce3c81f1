import { connect, type Socket } from 'node:net';

/**
 * HTTP/1.1 over a bare socket, for what `fetch` hides: exact bytes on the
 * wire, pipelining, and clients that leave halfway.
 */
export function openSocket(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Send `request` and collect everything until the server closes the connection. */
export async function exchange(base: string, request: string | Uint8Array): Promise<string> {
  const socket = await openSocket(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(request);
  });
}

export function hostOf(base: string): string {
  return new URL(base).host;
}
