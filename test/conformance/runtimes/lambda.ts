import { handler, streamHandler } from '@gatehouse/lambda';
import { fileURLToPath } from 'node:url';
import {
  bundleFunction,
  emulate,
  type EmulatedSource,
  installAwsLambdaGlobal,
  PAYLOAD_LIMIT,
  startRuntimeApi,
} from '@gatehouse/lambda/emulator';
import { conformanceApp } from '../src/app.ts';
import type { Limits, RunningApp, Runtime } from '../src/runtime.ts';

/** What every buffered Lambda source shares: 6 MB payloads, whole bodies both ways. */
export const BUFFERED: Limits = {
  requestBody: PAYLOAD_LIMIT,
  responseBody: PAYLOAD_LIMIT,
  buffersRequest: true,
  buffersResponse: true,
};

/** A function timeout short enough for the suite to see a deadline. */
const TIMEOUT = 1500;

/**
 * @gatehouse/lambda's `handler` behind the emulator playing `source`: each
 * request becomes a real event of that source, in this process.
 */
export function lambdaRuntime(source: EmulatedSource, limits: Limits = {}): Runtime {
  return {
    name: `@gatehouse/lambda (${source})`,
    runtimeName: 'lambda',
    limits: { ...BUFFERED, ...limits },
    async start(): Promise<RunningApp> {
      const fn = handler(conformanceApp, {
        deadlineMargin: 400,
        onError: (error) => console.error(`[conformance] ${source}: ${(error as Error).message}`),
      });
      const emulator = await emulate(fn, { source, timeout: TIMEOUT });
      return { url: emulator.url, stop: () => emulator.close() };
    },
  };
}

/**
 * @gatehouse/lambda's `streamHandler` behind the emulator playing a Function
 * URL in RESPONSE_STREAM mode, or a REST API in stream mode: requests
 * arrive whole, responses stream.
 */
export function lambdaStreamingRuntime(source: 'function-url' | 'rest' = 'function-url', limits: Limits = {}): Runtime {
  return {
    name: `@gatehouse/lambda (${source}, streaming)`,
    runtimeName: 'lambda',
    limits: { requestBody: PAYLOAD_LIMIT, buffersRequest: true, ...limits },
    async start(): Promise<RunningApp> {
      installAwsLambdaGlobal();
      const fn = streamHandler(conformanceApp, {
        deadlineMargin: 400,
        onError: (error) => console.error(`[conformance] streaming: ${(error as Error).message}`),
      });
      const emulator = await emulate(fn, { source, timeout: 30_000 });
      return { url: emulator.url, stop: () => emulator.close() };
    },
  };
}

/**
 * The conformance App bundled as a deployed function, run by the runtime
 * client in its own process against the emulated Runtime API, with the
 * emulator's front door playing `source`: the whole path a request takes
 * on AWS, on localhost.
 */
export function lambdaRuntimeApiRuntime(exportName: 'handler' | 'streaming', source: EmulatedSource, limits: Limits): Runtime {
  return {
    name: `@gatehouse/lambda (${source}, ${exportName === 'streaming' ? 'streaming' : 'buffered'}, bundled, Runtime API)`,
    runtimeName: 'lambda',
    limits,
    async start(): Promise<RunningApp> {
      const bundle = await bundleFunction(fileURLToPath(new URL('./lambda-function.ts', import.meta.url)), {
        conditions: ['@gatehouse/source'],
        handler: exportName,
      });
      // The Runtime API starts the runtime process itself, as Lambda does, on the first request.
      const api = await startRuntimeApi({ runtime: bundle });
      const front = await emulate(api, { source, timeout: exportName === 'streaming' ? 30_000 : TIMEOUT });
      return {
        url: front.url,
        async stop() {
          await front.close();
          await api.close();
          await bundle.close();
        },
      };
    },
  };
}
