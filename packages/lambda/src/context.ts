import type { Context } from '@gatehouse/core';
import type { EventSource, LambdaHttpEvent, LambdaRuntimeContext, ScheduledEvent } from './events.ts';

/** What an App can learn of the Lambda invocation of an HTTP event it is serving. */
export interface LambdaHttpInvocation {
  /** Which kind of event the invocation carries. */
  readonly source: EventSource;
  /** The event, as Lambda delivered it. */
  readonly event: LambdaHttpEvent;
  /** The event's `requestContext` (authorizer claims, identity, stage…), when it has one. */
  readonly requestContext: Readonly<Record<string, unknown>> | undefined;
  /** The Lambda runtime's context: request id, function name, remaining time. */
  readonly context: LambdaRuntimeContext;
}

/**
 * What a scheduled run (`app.scheduled`) can learn of the Lambda
 * invocation behind it: the EventBridge event, and the runtime's context.
 *
 * @example
 * ```ts
 * const app = {
 *   fetch: () => new Response('ok'),
 *   scheduled(controller, env, ctx) {
 *     const invocation = lambdaInvocation(ctx)
 *     if (invocation?.source === 'schedule') console.log(invocation.event.id, invocation.context.awsRequestId)
 *   },
 * }
 * ```
 */
export interface LambdaScheduledInvocation {
  /** Always `'schedule'`. */
  readonly source: 'schedule';
  /** The EventBridge event, as Lambda delivered it. */
  readonly event: ScheduledEvent;
  /** A scheduled event has no `requestContext`. */
  readonly requestContext: undefined;
  /** The Lambda runtime's context: request id, function name, remaining time. */
  readonly context: LambdaRuntimeContext;
}

/**
 * What an App can learn of the Lambda invocation it is serving: an HTTP
 * event or a scheduled one; `source` tells which (and narrows `event`).
 */
export type LambdaInvocation = LambdaHttpInvocation | LambdaScheduledInvocation;

/** The Context on Lambda: the common one, plus the invocation. */
export interface LambdaContext extends Context {
  readonly lambda: LambdaInvocation;
}

/**
 * The Lambda invocation behind `ctx`, or `undefined` on another runtime:
 * an App that runs everywhere asks rather than assumes.
 *
 * @example
 * ```ts
 * const claims = lambdaInvocation(ctx)?.requestContext?.authorizer
 * ```
 */
export function lambdaInvocation(ctx: Context): LambdaInvocation | undefined {
  return ctx.runtime === 'lambda' ? (ctx as LambdaContext).lambda : undefined;
}

const NO_PROPS: Readonly<Record<string, never>> = Object.freeze({});

/** @internal The Context of one invocation; every instance is its own, so concurrent invocations never meet. */
export class InvocationContext implements LambdaContext {
  readonly runtime = 'lambda';
  readonly props: Readonly<Record<string, never>> = NO_PROPS;
  readonly clientAddress: string | undefined;
  readonly lambda: LambdaInvocation;
  /** @internal Each promise handed to waitUntil, its failure already caught and reported. */
  readonly _pending: Promise<unknown>[] = [];
  readonly #onError: (error: unknown) => void;

  constructor(lambda: LambdaInvocation, clientAddress: string | undefined, onError: (error: unknown) => void) {
    this.lambda = lambda;
    this.clientAddress = clientAddress;
    this.#onError = onError;
  }

  waitUntil(promise: Promise<unknown>): void {
    // Caught at once: a rejection while the App is still at work must not
    // go unhandled (Lambda fails the invocation for it).
    this._pending.push(Promise.resolve(promise).catch(this.#onError));
  }

  passThroughOnException(): void {}

  /** @internal Resolves once everything handed to waitUntil (including what that adds) has settled. */
  async _settle(): Promise<void> {
    while (this._pending.length > 0) await Promise.all(this._pending.splice(0));
  }
}
