import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningApp, Runtime } from '../src/runtime.ts';

/** @gatehouse/node in a child process, over real sockets. */
export const nodeRuntime: Runtime = {
  name: '@gatehouse/node',
  runtimeName: 'node',
  async start(): Promise<RunningApp> {
    const child = spawn(
      process.execPath,
      ['--conditions=source', fileURLToPath(new URL('./node-server.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the server exited with ${code} before it listened`)));
      lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    });
    return {
      url,
      async stop() {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      },
      async peakMemory() {
        // VmHWM: the most resident memory the process has had at any point.
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
        return kib * 1024;
      },
    };
  },
};
