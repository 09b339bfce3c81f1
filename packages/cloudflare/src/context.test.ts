import type { App, Context } from '@gatehouse/core';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CloudflareContext } from './context.ts';
import { worker } from './worker.ts';

type IncomingRequest = Parameters<ReturnType<typeof worker>['fetch']>[0];

/** A Request as workerd hands it to a Worker. */
function incoming(url: string, headers?: HeadersInit): IncomingRequest {
  return new Request(url, { headers }) as IncomingRequest;
}

/**
 * An ExecutionContext whose methods, like workerd's, throw when called
 * without it as `this`, and which records what it was asked.
 */
class RecordingContext {
  readonly waited: Promise<unknown>[] = [];
  passedThrough = 0;
  aborted: unknown[] = [];
  readonly exports = { marker: 'exports' };
  props: unknown;

  constructor(props?: unknown) {
    this.props = props;
  }

  waitUntil(promise: Promise<unknown>): void {
    if (!(this instanceof RecordingContext)) throw new TypeError('Illegal invocation');
    this.waited.push(promise);
  }

  passThroughOnException(): void {
    if (!(this instanceof RecordingContext)) throw new TypeError('Illegal invocation');
    this.passedThrough++;
  }

  abort(reason?: unknown): void {
    if (!(this instanceof RecordingContext)) throw new TypeError('Illegal invocation');
    this.aborted.push(reason);
  }
}

/** The Context the App is given for one request through `worker(app)`. */
async function contextFor(request: IncomingRequest, ctx: RecordingContext | ExecutionContext): Promise<Context> {
  let seen: Context | undefined;
  await worker({ fetch: (_request, _env, context) => ((seen = context), new Response()) }).fetch(
    request,
    {},
    ctx as ExecutionContext,
  );
  return seen!;
}

describe('the Context an App gets on Workers', () => {
  it('delegates waitUntil and passThroughOnException to the real ExecutionContext, even called detached', async () => {
    const real = new RecordingContext();
    const { waitUntil, passThroughOnException } = await contextFor(incoming('https://x/'), real);
    const work = Promise.resolve('work');
    waitUntil(work);
    passThroughOnException();
    expect(real.waited).toEqual([work]);
    expect(real.waited[0]).toBe(work);
    expect(real.passedThrough).toBe(1);
  });

  it('makes the runtime wait for waitUntil work', async () => {
    const real = createExecutionContext();
    let done = false;
    const ctx = await contextFor(incoming('https://x/'), real);
    const { waitUntil } = ctx;
    waitUntil(scheduler.wait(30).then(() => void (done = true)));
    expect(done).toBe(false);
    await waitOnExecutionContext(real);
    expect(done).toBe(true);
  });

  it('reads clientAddress from CF-Connecting-IP, and leaves it undefined without one', async () => {
    const ipv6 = await contextFor(incoming('https://x/', { 'cf-connecting-ip': '2001:db8::1' }), new RecordingContext());
    expect(ipv6.clientAddress).toBe('2001:db8::1');
    const none = await contextFor(incoming('https://x/', { 'x-real-ip': '192.0.2.1' }), new RecordingContext());
    expect(none.clientAddress).toBeUndefined();
  });

  it("says it runs on workerd, with ctx.props, or {} if the runtime gives none", async () => {
    const props = { tenant: 'acme' };
    const withProps = await contextFor(incoming('https://x/'), new RecordingContext(props));
    expect(withProps.runtime).toBe('workerd');
    expect(withProps.props).toBe(props);
    const without = await contextFor(incoming('https://x/'), new RecordingContext(undefined));
    expect(without.props).toEqual({});
  });

  it('keeps the rest of ExecutionContext: exports, abort()', async () => {
    const real = new RecordingContext();
    const ctx = (await contextFor(incoming('https://x/'), real)) as CloudflareContext;
    expect(ctx.exports).toBe(real.exports);
    ctx.abort('enough');
    expect(real.aborted).toEqual(['enough']);
  });

  it('is a new object for every request', async () => {
    const seen: Context[] = [];
    const app: App = { fetch: (_request, _env, ctx) => (seen.push(ctx), new Response()) };
    const handler = worker(app);
    await handler.fetch(incoming('https://x/', { 'cf-connecting-ip': '192.0.2.1' }), {}, createExecutionContext());
    await handler.fetch(incoming('https://x/', { 'cf-connecting-ip': '192.0.2.2' }), {}, createExecutionContext());
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen.map((ctx) => ctx.clientAddress)).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});
