// ExecutionContext and the other Workers types are the global ones of
// @cloudflare/workers-types here, and of the user's own Workers types
// (`wrangler types`, or that package) in a Worker project.
import type { CloudflareContext } from './context.ts';

const NO_PROPS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * One request's (or one scheduled run's) Context: one small object whose
 * fields are set by the constructor or on first use, and prototype getters
 * for the rest. `waitUntil` and `passThroughOnException` are bound to the
 * real ExecutionContext when first read: workerd's own methods throw
 * "Illegal invocation" when called detached, and Apps written for Node or
 * Lambda may call them so.
 *
 * `implements` makes the type check fail when a new @cloudflare/workers-types
 * adds a member to ExecutionContext: forward it here. The class lives in a
 * private module that no public declaration imports, so a user's Workers
 * types, older or newer than ours, never check it.
 */
export class WorkerContext implements CloudflareContext {
  readonly #ctx: ExecutionContext;
  readonly #request: Request | undefined;
  #waitUntil: ExecutionContext['waitUntil'] | undefined;
  #passThroughOnException: ExecutionContext['passThroughOnException'] | undefined;

  constructor(ctx: ExecutionContext, request: Request | undefined) {
    this.#ctx = ctx;
    this.#request = request;
  }

  get runtime(): 'workerd' {
    return 'workerd';
  }

  /** `CF-Connecting-IP`, which Cloudflare sets on every request it sends a Worker. */
  get clientAddress(): string | undefined {
    return this.#request?.headers.get('cf-connecting-ip') ?? undefined;
  }

  get props(): unknown {
    return this.#ctx.props ?? NO_PROPS;
  }

  get waitUntil(): ExecutionContext['waitUntil'] {
    return (this.#waitUntil ??= this.#ctx.waitUntil.bind(this.#ctx));
  }

  get passThroughOnException(): ExecutionContext['passThroughOnException'] {
    return (this.#passThroughOnException ??= this.#ctx.passThroughOnException.bind(this.#ctx));
  }

  // The rest of ExecutionContext, forwarded as it is.

  get exports(): ExecutionContext['exports'] {
    return this.#ctx.exports;
  }

  get cache(): CacheContext | undefined {
    return this.#ctx.cache;
  }

  get access(): CloudflareAccessContext | undefined {
    return this.#ctx.access;
  }

  get tracing(): Tracing {
    return this.#ctx.tracing;
  }

  abort(reason?: unknown): void {
    this.#ctx.abort(reason);
  }

  mapVirtualHost(fetcher: Fetcher, port: number): string {
    return this.#ctx.mapVirtualHost(fetcher, port);
  }
}
