import type { RunningApp, Runtime } from '../src/runtime.ts';
import { peakResident, startServerScript, stopProcess } from './_process.ts';

/**
 * The conformance App on @gatehouse/node behind the edge tier
 * (`defineEdge` proxying to it, on @gatehouse/node too): every behaviour
 * must survive the reverse proxy.
 */
export const edgeRuntime: Runtime = edgeWith('undici');

/**
 * The same, with `http1Transport` between the edge and the origin, GETs and
 * HEADs answered from the request head (no Request, no Response).
 */
export const edgeHttp1Runtime: Runtime = edgeWith('http1', true);

/** `http1Transport` too, every request through a Request and a Response: the one difference from the runtime above. */
export const edgeHttp1RequestsRuntime: Runtime = edgeWith('http1', false);

function edgeWith(transport: 'undici' | 'http1', headAnswers = true): Runtime {
  return {
    name: `edge (Node, ${transport}Transport${headAnswers ? '' : ', no head answers'}) → @gatehouse/node`,
    runtimeName: 'node',
    async start(): Promise<RunningApp> {
      const { child, url } = await startServerScript('./edge-server.ts', headAnswers ? [transport] : [transport, 'no-head-answers']);
      return {
        url,
        stop: () => stopProcess(child),
        // Edge and origin share the process: flat memory holds for both together.
        peakMemory: () => peakResident([child.pid]),
      };
    },
  };
}
