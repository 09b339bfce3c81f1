import { createServer } from 'node:net';
import { UsageError } from '../usage-error.ts';

/**
 * Take `port` on `host` for a moment and let it go: throws a one-line
 * UsageError if something holds it, naming the config field that sets it.
 * Without this, workerd would report the clash only in an event nobody
 * awaits, and `gatehouse dev` would hang.
 */
export async function ensurePortFree(port: number, host: string, field: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} on ${host} is in use: stop what holds it, or set another in ${field}`)
          : new UsageError(`cannot listen on ${host}:${port} (${field}): ${error.message}`),
      ),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A port free now on `host`, for a tier with none configured. */
export async function freePort(host: string): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
