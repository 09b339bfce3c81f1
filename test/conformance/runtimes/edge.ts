import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningApp, Runtime } from '../src/runtime.ts';
import { peakResident, stopProcess } from './_process.ts';

/**
 * The conformance App on @gatehouse/node behind the edge tier
 * (`defineEdge` proxying to it, on @gatehouse/node too): every behaviour
 * must survive the reverse proxy.
 */
export const edgeRuntime: Runtime = {
  name: 'edge (Node) → @gatehouse/node',
  runtimeName: 'node',
  async start(): Promise<RunningApp> {
    const child = spawn(
      process.execPath,
      ['--conditions=source', fileURLToPath(new URL('./edge-server.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the edge exited with ${code} before it listened`)));
      lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    });
    return {
      url,
      stop: () => stopProcess(child),
      // Edge and origin share the process: flat memory holds for both together.
      peakMemory: () => peakResident([child.pid]),
    };
  },
};
