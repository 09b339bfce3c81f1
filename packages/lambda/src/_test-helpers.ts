import { readFileSync } from 'node:fs';
import type { LambdaRuntimeContext } from './events.ts';

export function fixture<T extends object = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../test/fixtures/${name}.json`, import.meta.url), 'utf8')) as T;
}

let invocations = 0;
/** A Lambda context with `timeoutMs` left from now. */
export function lambdaContext(timeoutMs = 30_000): LambdaRuntimeContext {
  const deadline = Date.now() + timeoutMs;
  const id = `req-${++invocations}`;
  return {
    functionName: 'gatehouse-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:gatehouse-test',
    memoryLimitInMB: '128',
    awsRequestId: id,
    logGroupName: '/aws/lambda/gatehouse-test',
    logStreamName: '2026/11/25/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** An App that reports what it saw. */
export const echoApp = {
  async fetch(request: Request, _env: unknown, ctx: { clientAddress: string | undefined; runtime: string }): Promise<Response> {
    return Response.json({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: request.body === null ? null : await request.text(),
      clientAddress: ctx.clientAddress ?? null,
      runtime: ctx.runtime,
    });
  },
};
