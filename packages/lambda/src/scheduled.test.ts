import { PassThrough } from 'node:stream';
import type { Context, ScheduledController } from '@gatehouse/core';
import { describe, expect, it, vi } from 'vitest';
import { fixture, lambdaContext } from './_test-helpers.ts';
import { installAwsLambdaGlobal, type ResponseStream } from './awslambda.ts';
import { type LambdaInvocation, lambdaInvocation } from './context.ts';
import { detectSource, isScheduledEvent } from './detect.ts';
import { handler } from './handler.ts';
import { streamHandler } from './stream-handler.ts';

const HTTP_FIXTURES = [
  'rest',
  'rest-custom-domain',
  'http-api',
  'function-url',
  'alb-single',
  'alb-multi',
  'alb-health-check',
  'lattice-v1',
  'lattice-v2',
];

/** An App whose scheduled() records what it was given, then does `work`. */
function recorder(work: (controller: ScheduledController, ctx: Context) => unknown = () => {}) {
  const calls: { controller: ScheduledController; env: unknown; ctx: Context }[] = [];
  const fetch = vi.fn<() => Response>(() => new Response('not for schedules'));
  const app = {
    fetch,
    async scheduled(controller: ScheduledController, env: unknown, ctx: Context) {
      calls.push({ controller, env, ctx });
      await work(controller, ctx);
    },
  };
  return { app, calls, fetch };
}

describe('detecting scheduled events', () => {
  it.each([['eventbridge-schedule'], ['scheduler-schedule']])('takes %s for a scheduled event, not an HTTP one', (name) => {
    expect(isScheduledEvent(fixture(name))).toBe(true);
    expect(detectSource(fixture(name))).toBeUndefined();
  });

  it.each(HTTP_FIXTURES)('does not take the %s HTTP event for one', (name) => {
    expect(isScheduledEvent(fixture(name))).toBe(false);
  });

  it.each([
    ['another detail-type', { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.events' }],
    ['a custom source', { 'detail-type': 'Scheduled Event', source: 'com.example.billing' }],
    ['no source', { 'detail-type': 'Scheduled Event' }],
    ['a detail-type of another case', { 'detail-type': 'scheduled event', source: 'aws.events' }],
    ['null', null],
    ['a string', 'Scheduled Event'],
  ])('does not take an event with %s for one', (_, event) => {
    expect(isScheduledEvent(event)).toBe(false);
  });

  it('needs only detail-type and source', () => {
    expect(isScheduledEvent({ 'detail-type': 'Scheduled Event', source: 'aws.scheduler' })).toBe(true);
  });
});

describe('handler(app) with a scheduled event', () => {
  it.each([
    ['eventbridge-schedule', Date.UTC(2026, 10, 25, 20, 0, 0), 'arn:aws:events:us-east-1:123456789012:rule/nightly-report'],
    ['scheduler-schedule', Date.UTC(2026, 10, 25, 20, 15, 0), 'arn:aws:scheduler:us-west-2:123456789012:schedule/default/cleanup-sessions'],
  ])('calls scheduled() for %s with the time it was due and its ARN, and resolves with undefined', async (name, time, arn) => {
    const { app, calls, fetch } = recorder();
    const result = await handler(app)(fixture(name), lambdaContext());
    expect(result).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.controller.scheduledTime).toBe(time);
    expect(calls[0]!.controller.cron).toBe(arn);
    expect(typeof calls[0]!.controller.noRetry).toBe('function');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('passes the env it was given, and process.env by default', async () => {
    const env = { DATABASE_URL: 'postgres://db.internal/app' };
    const { app, calls } = recorder();
    await handler(app, { env })(fixture('eventbridge-schedule'), lambdaContext());
    await handler(app)(fixture('eventbridge-schedule'), lambdaContext());
    expect(calls[0]!.env).toBe(env);
    expect(calls[1]!.env).toBe(process.env);
  });

  it('gives a Lambda Context: the event and the runtime context through lambdaInvocation, no client address', async () => {
    const { app, calls } = recorder();
    const event = fixture('scheduler-schedule');
    const context = lambdaContext();
    await handler(app)(event, context);
    const { ctx } = calls[0]!;
    expect(ctx.runtime).toBe('lambda');
    expect(ctx.clientAddress).toBeUndefined();
    expect(ctx.props).toEqual({});
    const invocation = lambdaInvocation(ctx) as LambdaInvocation;
    expect(invocation.source).toBe('schedule');
    expect(invocation.event).toBe(event);
    expect(invocation.context).toBe(context);
    expect(invocation.requestContext).toBeUndefined();
  });

  it('gives every invocation its own Context and controller', async () => {
    const { app, calls } = recorder(() => new Promise((resolve) => setImmediate(resolve)));
    const serve = handler(app);
    const contexts = [lambdaContext(), lambdaContext()];
    const second = { ...fixture('eventbridge-schedule'), time: '2026-11-25T21:00:00Z', resources: ['arn:aws:events:us-east-1:123456789012:rule/hourly'] };
    await Promise.all([serve(fixture('eventbridge-schedule'), contexts[0]!), serve(second, contexts[1]!)]);
    expect(calls.map(({ ctx }) => lambdaInvocation(ctx)!.context.awsRequestId)).toEqual(contexts.map((c) => c.awsRequestId));
    expect(calls.map(({ controller }) => controller.cron)).toEqual([
      'arn:aws:events:us-east-1:123456789012:rule/nightly-report',
      'arn:aws:events:us-east-1:123456789012:rule/hourly',
    ]);
    expect(calls[0]!.ctx).not.toBe(calls[1]!.ctx);
  });

  it.each([
    ['missing', undefined],
    ['not a date', 'next tuesday'],
    ['not a string', 1795629600000],
  ])('falls back to the invocation time when time is %s', async (_, time) => {
    const { app, calls } = recorder();
    const event: Record<string, unknown> = { ...fixture('eventbridge-schedule'), time };
    const before = Date.now();
    await handler(app)(event, lambdaContext());
    const after = Date.now();
    const { scheduledTime } = calls[0]!.controller;
    expect(scheduledTime).toBeGreaterThanOrEqual(before);
    expect(scheduledTime).toBeLessThanOrEqual(after);
  });

  it.each([
    ['no resources', undefined],
    ['an empty list', []],
  ])('gives cron "" for an event with %s', async (_, resources) => {
    const { app, calls } = recorder();
    await handler(app)({ ...fixture('scheduler-schedule'), resources }, lambdaContext());
    expect(calls[0]!.controller.cron).toBe('');
  });

  it('resolves only after waitUntil work has finished, that work included', async () => {
    const order: string[] = [];
    const { app } = recorder((_, ctx) => {
      // Background work that finishes only on a later turn of the event
      // loop: were it not waited for, the handler would resolve first.
      ctx.waitUntil(
        new Promise((resolve) => setImmediate(resolve)).then(() => {
          // ...and work that work adds is waited for too.
          ctx.waitUntil(new Promise((resolve) => setImmediate(resolve)).then(() => void order.push('nested waitUntil')));
          order.push('waitUntil');
        }),
      );
      order.push('scheduled');
    });
    const running = handler(app)(fixture('eventbridge-schedule'), lambdaContext()).then(() => void order.push('handler resolved'));
    await running;
    expect(order).toEqual(['scheduled', 'waitUntil', 'nested waitUntil', 'handler resolved']);
  });

  it('waits for a scheduled() that returns no promise, and one that is not async at all', async () => {
    const seen: number[] = [];
    const app = {
      fetch: () => new Response(''),
      scheduled(controller: ScheduledController) {
        seen.push(controller.scheduledTime);
      },
    };
    await expect(handler(app)(fixture('eventbridge-schedule'), lambdaContext())).resolves.toBeUndefined();
    expect(seen).toEqual([Date.UTC(2026, 10, 25, 20, 0, 0)]);
  });

  it('calls scheduled() as a method of the App', async () => {
    const app = {
      name: 'billing',
      fetch: () => new Response(''),
      seen: '',
      scheduled(this: { name: string; seen: string }) {
        this.seen = this.name;
      },
    };
    await handler(app)(fixture('eventbridge-schedule'), lambdaContext());
    expect(app.seen).toBe('billing');
  });
});

describe('a scheduled run that fails', () => {
  it('rejects when scheduled() rejects, so that Lambda retries it, and leaves the report to Lambda', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const { app } = recorder(() => Promise.reject(new Error('report failed')));
    await expect(handler(app, { onError })(fixture('eventbridge-schedule'), lambdaContext())).rejects.toThrow('report failed');
    expect(onError).not.toHaveBeenCalled();
  });

  it('rejects when scheduled() throws before it returns', async () => {
    const app = {
      fetch: () => new Response(''),
      scheduled() {
        throw new RangeError('bad config');
      },
    };
    await expect(handler(app, { onError: () => {} })(fixture('scheduler-schedule'), lambdaContext())).rejects.toThrow(RangeError);
  });

  it('rejects when waitUntil work rejects, after the rest of that work is over', async () => {
    const order: string[] = [];
    const { app } = recorder((_, ctx) => {
      ctx.waitUntil(Promise.reject(new Error('upload failed')));
      ctx.waitUntil(new Promise((resolve) => setImmediate(resolve)).then(() => void order.push('other work')));
    });
    const outcome = handler(app)(fixture('eventbridge-schedule'), lambdaContext()).then(
      () => 'resolved',
      (error: Error) => {
        order.push('rejected');
        return error.message;
      },
    );
    expect(await outcome).toBe('upload failed');
    expect(order).toEqual(['other work', 'rejected']);
  });

  it('rejects with every failure when there are several, scheduled()\'s first', async () => {
    const { app } = recorder((_, ctx) => {
      ctx.waitUntil(Promise.reject(new Error('background')));
      throw new Error('foreground');
    });
    const error = await handler(app)(fixture('eventbridge-schedule'), lambdaContext()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['foreground', 'background']);
  });

  it('does not leave a rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { app } = recorder((_, ctx) => {
        ctx.waitUntil(Promise.reject(new Error('background')));
        return Promise.reject(new Error('foreground'));
      });
      await handler(app)(fixture('eventbridge-schedule'), lambdaContext()).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects when the run is not over by the deadline, without waiting for it', async () => {
    const { app } = recorder(() => new Promise(() => {})); // never ends
    const error = await handler(app, { deadlineMargin: 100 })(fixture('eventbridge-schedule'), lambdaContext(300)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('DeadlineError');
  });
});

describe('noRetry()', () => {
  it('turns a failed run into one that resolves, its error reported through onError', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const { app } = recorder((controller) => {
      controller.noRetry();
      throw new Error('the day\'s report is already sent');
    });
    await expect(handler(app, { onError })(fixture('eventbridge-schedule'), lambdaContext())).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as Error).message).toBe('the day\'s report is already sent');
  });

  it('holds when called from waitUntil work, for that work\'s failure', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const { app } = recorder((controller, ctx) => {
      ctx.waitUntil(
        Promise.resolve().then(() => {
          controller.noRetry();
          throw new Error('late failure');
        }),
      );
    });
    await expect(handler(app, { onError })(fixture('scheduler-schedule'), lambdaContext())).resolves.toBeUndefined();
    expect((onError.mock.calls[0]![0] as Error).message).toBe('late failure');
  });

  it('holds at the deadline too', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const { app } = recorder((controller) => {
      controller.noRetry();
      return new Promise(() => {});
    });
    await expect(handler(app, { deadlineMargin: 100, onError })(fixture('eventbridge-schedule'), lambdaContext(300))).resolves.toBeUndefined();
    expect((onError.mock.calls[0]![0] as Error).name).toBe('DeadlineError');
  });

  it('changes nothing for a run that succeeds', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const { app } = recorder((controller) => controller.noRetry());
    await expect(handler(app, { onError })(fixture('eventbridge-schedule'), lambdaContext())).resolves.toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
  });

  it('holds for its own invocation only', async () => {
    let first = true;
    const { app } = recorder((controller) => {
      if (first) controller.noRetry();
      first = false;
      throw new Error('failed');
    });
    const serve = handler(app, { onError: () => {} });
    await expect(serve(fixture('eventbridge-schedule'), lambdaContext())).resolves.toBeUndefined();
    await expect(serve(fixture('eventbridge-schedule'), lambdaContext())).rejects.toThrow('failed');
  });
});

describe('an App without scheduled()', () => {
  it('rejects with an error that says so, not an HTTP answer, and never calls fetch', async () => {
    const fetch = vi.fn<() => Response>(() => new Response('hello'));
    const outcome = handler({ fetch }, { onError: () => {} })(fixture('eventbridge-schedule'), lambdaContext());
    await expect(outcome).rejects.toThrow(/The App has no scheduled\(\) handler/);
    await expect(outcome).rejects.toThrow('arn:aws:events:us-east-1:123456789012:rule/nightly-report');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('still serves HTTP events', async () => {
    const result = (await handler({ fetch: () => new Response('hello') })(fixture('function-url'), lambdaContext())) as { statusCode: number; body: string };
    expect(result).toMatchObject({ statusCode: 200, body: 'hello' });
  });
});

describe('streamHandler(app) with a scheduled event', () => {
  it('answers a clear 400 and reports it, as for any event that is not HTTP, without calling the App', async () => {
    installAwsLambdaGlobal();
    const onError = vi.fn<(error: unknown) => void>();
    const { app, calls, fetch } = recorder();
    const stream = new PassThrough();
    (stream as unknown as ResponseStream).setContentType = () => {};
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await streamHandler(app, { onError })(fixture('eventbridge-schedule'), stream as unknown as ResponseStream, lambdaContext());
    await new Promise((resolve) => setImmediate(resolve));
    const all = Buffer.concat(chunks);
    const end = all.indexOf(Buffer.alloc(8));
    expect(JSON.parse(all.subarray(0, end).toString('utf8')).statusCode).toBe(400);
    expect(all.subarray(end + 8).toString('utf8')).toMatch(/does not run scheduled tasks.*handler\(app\)/);
    expect((onError.mock.calls[0]![0] as Error).message).toMatch(/does not run scheduled tasks/);
    expect(calls).toHaveLength(0);
    expect(fetch).not.toHaveBeenCalled();
  });
});
