import type { RunningApp, Runtime } from '../src/runtime.ts';
import { peakResident, startServerScript, stopProcess } from './_process.ts';

/**
 * The conformance App on @gatehouse/node behind the edge tier
 * (`defineEdge` proxying to it, on @gatehouse/node too): every behaviour
 * must survive the reverse proxy.
 */
export const edgeRuntime: Runtime = {
  name: 'edge (Node) → @gatehouse/node',
  runtimeName: 'node',
  async start(): Promise<RunningApp> {
    const { child, url } = await startServerScript('./edge-server.ts');
    return {
      url,
      stop: () => stopProcess(child),
      // Edge and origin share the process: flat memory holds for both together.
      peakMemory: () => peakResident([child.pid]),
    };
  },
};
