import { afterEach, describe, expect, it } from 'vitest';
import { HandlerTimeoutError } from './errors.ts';
import { closeAll, deferred, start } from './_test-helpers.ts';

afterEach(closeAll);

describe('handlerTimeout', () => {
  it('answers 504, aborts the signal with a TimeoutError and tells onError', async () => {
    const errors: unknown[] = [];
    let reason: unknown;
    const server = await start(
      {
        fetch: (request) =>
          new Promise<Response>(() => {
            request.signal.addEventListener('abort', () => (reason = request.signal.reason));
          }),
      },
      { handlerTimeout: 100, onError: (error) => errors.push(error) },
    );
    const response = await fetch(new URL('/stuck?x=1', server.url));
    expect(response.status).toBe(504);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.text()).toBe('Gateway Timeout: the App did not answer within 100 ms\n');
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HandlerTimeoutError);
    expect((errors[0] as Error).message).toBe('GET /stuck?x=1 did not answer within 100 ms');
  });

  it('drops a late answer and cancels its body', async () => {
    let cancelled: (reason: unknown) => void;
    const cancel = new Promise((resolve) => (cancelled = resolve));
    const server = await start(
      {
        fetch: () =>
          new Promise<Response>((resolve) =>
            setTimeout(() => resolve(new Response(new ReadableStream({ cancel: (why) => cancelled(why ?? 'cancelled') }))), 200),
          ),
      },
      { handlerTimeout: 50 },
    );
    expect((await fetch(server.url)).status).toBe(504);
    await expect(cancel).resolves.toBeDefined();
  });

  it('does not time an App that answered in time, nor its body streaming afterwards', async () => {
    const server = await start(
      {
        fetch: () => {
          let sent = 0;
          return new Response(
            new ReadableStream({
              async pull(controller) {
                await new Promise((resolve) => setTimeout(resolve, 40));
                if (sent++ === 5) controller.close();
                else controller.enqueue(new TextEncoder().encode(`${sent}`));
              },
            }),
          );
        },
      },
      { handlerTimeout: 100 },
    );
    const response = await fetch(server.url);
    expect([response.status, await response.text()]).toEqual([200, '12345']);
  });

  it('keeps no timer once the client has gone', async () => {
    const errors: unknown[] = [];
    const arrived = deferred();
    const noticed = deferred();
    // An App that never answers: only the listener's own clean-up can stop the deadline.
    const server = await start(
      {
        fetch: (request) => {
          request.signal.addEventListener('abort', () => noticed.resolve());
          arrived.resolve();
          return new Promise<Response>(() => {});
        },
      },
      { handlerTimeout: 150, onError: (error) => errors.push(error) },
    );
    const controller = new AbortController();
    const request = fetch(server.url, { signal: controller.signal });
    await arrived.promise;
    controller.abort();
    await expect(request).rejects.toThrow('aborted');
    await noticed.promise;
    // Past the deadline: a timer left behind would have reported a HandlerTimeoutError by now.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(errors).toEqual([]);
  });
});
