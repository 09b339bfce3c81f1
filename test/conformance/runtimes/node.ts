import type { RunningApp, Runtime } from '../src/runtime.ts';
import { peakResident, startServerScript, stopProcess } from './_process.ts';

/** @gatehouse/node in a child process, over real sockets. */
export const nodeRuntime: Runtime = {
  name: '@gatehouse/node',
  runtimeName: 'node',
  async start(): Promise<RunningApp> {
    const { child, url } = await startServerScript('./node-server.ts');
    return {
      url,
      stop: () => stopProcess(child),
      peakMemory: () => peakResident([child.pid]),
    };
  },
};
