/**
 * The name of the runtime an App is running on, as its adapter reports it.
 * The known names are listed; an adapter for another runtime may use its own.
 */
export type RuntimeName = 'node' | 'workerd' | 'lambda' | (string & {});

/**
 * What an App receives beside the request, on every runtime.
 *
 * A superset of Cloudflare Workers' `ExecutionContext`, so a Worker's
 * context is one and an App written for Workers (a Hono app, say) runs
 * unchanged elsewhere. Adapters may extend it with what their runtime
 * alone can give (a Lambda invocation's context, for instance).
 */
export interface Context<Props = unknown> {
  /**
   * Keep the invocation alive until `promise` settles, without delaying
   * the response. Adapters wait for it before they shut down or return.
   */
  waitUntil(promise: Promise<unknown>): void;
  /**
   * On Workers, fall through to the origin if the App throws. Elsewhere a
   * no-op: there is no origin behind an adapter to fall through to.
   */
  passThroughOnException(): void;
  /**
   * The client's IP address as the runtime reports it, or as a proxy the
   * adapter was told to trust reports it. `undefined` when unknown.
   */
  readonly clientAddress: string | undefined;
  /** The runtime the App is running on. */
  readonly runtime: RuntimeName;
  /** Workers' per-entrypoint props; an empty object elsewhere. */
  readonly props: Props;
}
