// What the emulator does when the function misbehaves: it answers as AWS
// would, and never goes down itself.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { runtimeApiState, startRuntimeApi } from './runtime-api.ts';
import { emulate } from './server.ts';
import { until } from './_test-until.ts';

/** One raw call to the Runtime API, as a runtime client makes it. */
function call(address: string, method: string, path: string, body?: string, signal?: AbortSignal) {
  const [host, port] = address.split(':');
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, signal }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const NEXT = '/2018-06-01/runtime/invocation/next';

describe('the Runtime API', () => {
  it('takes an error report with no body', async () => {
    const api = await startRuntimeApi();
    try {
      const outcome = api.invoke({ n: 1 });
      const next = await call(api.address, 'GET', NEXT);
      const id = String(next.headers['lambda-runtime-aws-request-id']);
      expect((await call(api.address, 'POST', `/2018-06-01/runtime/invocation/${id}/error`, '')).status).toBe(202);
      expect(await outcome).toMatchObject({ type: 'error', errorType: 'Unknown' });
    } finally {
      await api.close();
    }
  });

  it('fails the invocation, rather than losing it, when the response is not JSON', async () => {
    const api = await startRuntimeApi();
    try {
      const outcome = api.invoke({ n: 1 });
      const next = await call(api.address, 'GET', NEXT);
      const id = String(next.headers['lambda-runtime-aws-request-id']);
      expect((await call(api.address, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, '{not json')).status).toBe(400);
      expect(await outcome).toMatchObject({ type: 'error', errorType: 'Runtime.InvalidResponse' });
    } finally {
      await api.close();
    }
  });

  it('hands the next event to a live poller, not to one that went away', async ({ signal }) => {
    const api = await startRuntimeApi();
    try {
      const gone = new AbortController();
      const stale = call(api.address, 'GET', NEXT, undefined, gone.signal).catch(() => 'aborted');
      // Aborted before the server holds it, the poll would prove nothing: wait until it waits there.
      await until(() => runtimeApiState(api).polling === 1, signal);
      gone.abort();
      expect(await stale).toBe('aborted');
      // The server hears of the abort only some while later, and until then has no reason not to hand the event to that poll.
      await until(() => runtimeApiState(api).polling === 0, signal);
      const outcome = api.invoke({ n: 2 });
      // No live poll: the event must wait for one, not go to the one that went away.
      expect(runtimeApiState(api)).toMatchObject({ queued: 1, running: 0 });
      const next = await call(api.address, 'GET', NEXT);
      expect(JSON.parse(next.body)).toEqual({ n: 2 });
      const id = String(next.headers['lambda-runtime-aws-request-id']);
      await call(api.address, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, '"done"');
      expect(await outcome).toEqual({ type: 'result', payload: 'done' });
    } finally {
      await api.close();
    }
  });

  it('fails waiting and later invocations with an init error at once, until a runtime asks for work', async ({ signal }) => {
    const api = await startRuntimeApi();
    try {
      const waiting = api.invoke({ n: 1 }, { timeout: 30_000 });
      const report = JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: "Error: Cannot find module 'index'" });
      expect((await call(api.address, 'POST', '/2018-06-01/runtime/init/error', report)).status).toBe(202);
      const failed = { type: 'error', errorType: 'Runtime.ImportModuleError', errorMessage: "Error: Cannot find module 'index'" };
      expect(await waiting).toEqual(failed);
      expect(await api.invoke({ n: 2 }, { timeout: 30_000 })).toEqual(failed);
      // A runtime started again, by hand, that gets as far as polling.
      const next = call(api.address, 'GET', NEXT);
      // Until its poll reaches the server, the init error still stands and would fail the invocation.
      await until(() => runtimeApiState(api).polling === 1, signal);
      const outcome = api.invoke({ n: 3 });
      const id = String((await next).headers['lambda-runtime-aws-request-id']);
      await call(api.address, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, '"up"');
      expect(await outcome).toEqual({ type: 'result', payload: 'up' });
    } finally {
      await api.close();
    }
  });

  it('ends an invocation at its timeout, as Lambda does', async () => {
    const api = await startRuntimeApi();
    try {
      const outcome = api.invoke({ n: 3 }, { timeout: 200 });
      const next = await call(api.address, 'GET', NEXT);
      // The trace id has X-Ray's shape.
      expect(String(next.headers['lambda-runtime-trace-id'])).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/);
      expect(await outcome).toMatchObject({ type: 'error', errorType: 'Sandbox.Timedout' });
    } finally {
      await api.close();
    }
  });
});

describe('the HTTP front door', () => {
  it('answers 502 to a result Node would refuse, and keeps serving', async () => {
    let result: unknown = { statusCode: 1000, body: 'x' };
    const front = await emulate(async () => result, { source: 'http' });
    try {
      expect((await fetch(front.url)).status).toBe(502);
      result = { statusCode: 200, headers: { 'x-bad': 'emoji 😀' }, body: 'x' };
      expect((await fetch(front.url)).status).toBe(502);
      result = { statusCode: 200, body: 'fine' };
      expect(await (await fetch(front.url)).text()).toBe('fine');
    } finally {
      await front.close();
    }
  });

  it('answers 502 when the function outlives its timeout', async () => {
    const front = await emulate(() => new Promise(() => {}), { source: 'http', timeout: 200 });
    try {
      expect((await fetch(front.url)).status).toBe(502);
    } finally {
      await front.close();
    }
  });
});
