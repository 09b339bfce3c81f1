import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A meeting point outside the runtime under test, for the lockstep tests:
 * the App (wherever it runs) and the suite wait for each other's steps over
 * plain HTTP to 127.0.0.1. It needs nothing of the runtime but outbound
 * fetch, and no second invocation running beside the first (Lambda runs one
 * at a time), so streaming is proved without timing on every runtime.
 */
export interface Rendezvous {
  readonly url: string;
  /** Record that `id` reached step `n`. */
  ack(id: string, n: number): void;
  /** Resolves once `id` has reached step `n`. */
  waitFor(id: string, n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRendezvous(): Promise<Rendezvous> {
  const reached = new Map<string, number>();
  const waiters = new Map<string, { n: number; wake: () => void }[]>();
  const ack = (id: string, n: number): void => {
    reached.set(id, Math.max(n, reached.get(id) ?? 0));
    const list = waiters.get(id) ?? [];
    waiters.set(id, list.filter((waiter) => (waiter.n <= n ? (waiter.wake(), false) : true)));
  };
  const waitFor = (id: string, n: number): Promise<void> =>
    (reached.get(id) ?? 0) >= n
      ? Promise.resolve()
      : new Promise((wake) => waiters.set(id, [...(waiters.get(id) ?? []), { n, wake }]));

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://rendezvous');
    const id = url.searchParams.get('id') ?? '';
    const n = Number(url.searchParams.get('n'));
    if (url.pathname === '/ack') {
      ack(id, n);
      res.writeHead(204).end();
    } else if (url.pathname === '/wait') {
      void waitFor(id, n).then(() => res.writeHead(204).end());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ack,
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
