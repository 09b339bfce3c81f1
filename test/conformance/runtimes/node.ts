import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningApp, Runtime } from '../src/runtime.ts';
import { peakResident, stopProcess } from './_process.ts';

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
      stop: () => stopProcess(child),
      peakMemory: () => peakResident([child.pid]),
    };
  },
};
