// A real redis-server for the Redis stores' tests (Debian's package), on
// a free port of 127.0.0.1, keeping nothing on disk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freePort, within } from '@gatehouse/test-support/sockets';

/** Whether this machine has a redis-server; the tests that need one say so and are skipped without it. */
export function hasRedisServer(testFile: string): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`${testFile}: no redis-server on this machine (Debian: apt-get install redis-server); its tests are skipped.`);
    return false;
  }
}

export interface RedisServer {
  readonly url: string;
  /** Stop it (SIGTERM) and wait until it has gone. */
  stop(): Promise<void>;
}

/** A redis-server started now, once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: server.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line.includes('Ready to accept connections') && resolve());
    server.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready`)));
  });
  await within(ready, 20_000, 'redis-server ready', () => server.kill());
  // Its log goes on being read, so that a full pipe never stops it.
  lines.on('line', () => {});
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill();
      await exited;
    },
  };
}
