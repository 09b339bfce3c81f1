import { handler, streamHandler } from '@gatehouse/lambda';
import { emulate, type EmulatedSource, installAwsLambdaGlobal, PAYLOAD_LIMIT } from '@gatehouse/lambda/emulator';
import { conformanceApp } from '../src/app.ts';
import type { Limits, RunningApp, Runtime } from '../src/runtime.ts';

/** What every buffered Lambda source shares: 6 MB payloads, whole bodies both ways. */
const BUFFERED: Limits = {
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
 * URL in RESPONSE_STREAM mode: requests arrive whole, responses stream.
 */
export function lambdaStreamingRuntime(): Runtime {
  return {
    name: '@gatehouse/lambda (function-url, streaming)',
    runtimeName: 'lambda',
    limits: { requestBody: PAYLOAD_LIMIT, buffersRequest: true },
    async start(): Promise<RunningApp> {
      installAwsLambdaGlobal();
      const fn = streamHandler(conformanceApp, {
        deadlineMargin: 400,
        onError: (error) => console.error(`[conformance] streaming: ${(error as Error).message}`),
      });
      const emulator = await emulate(fn, { source: 'function-url', timeout: 30_000 });
      return { url: emulator.url, stop: () => emulator.close() };
    },
  };
}
