/**
 * How the conformance suite reaches a runtime: start the conformance App
 * on it, get a base URL, stop it. Every adapter (and the edge tier) plugs
 * in by implementing this.
 */
export interface Runtime {
  /** Shown in test names. */
  readonly name: string;
  /** The `ctx.runtime` the App should report there. */
  readonly runtimeName: string;
  /** Start the conformance App (`@gatehouse/conformance/app`). */
  start(): Promise<RunningApp>;
}

export interface RunningApp {
  /** Base URL ending in `/`, e.g. `http://127.0.0.1:4123/`. */
  readonly url: string;
  stop(): Promise<void>;
  /**
   * Peak resident memory of the process that serves the App, in bytes.
   * Runtimes that can tell get the flat-memory checks on big bodies.
   */
  peakMemory?(): Promise<number>;
}
