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
  /**
   * What the platform cannot do, so the suite checks the behaviour it
   * promises instead (a clear 413 rather than a 50 MiB upload, say).
   * Absent: it can do all of it.
   */
  readonly limits?: Limits;
}

export interface Limits {
  /** Largest request body; larger uploads must get 413. */
  readonly requestBody?: number;
  /** Largest response body; larger ones must fail with a 5xx, never arrive as a 200. */
  readonly responseBody?: number;
  /** Request bodies reach the App only once the client has sent them whole. */
  readonly buffersRequest?: boolean;
  /** Responses reach the client only once the App has produced them whole. */
  readonly buffersResponse?: boolean;
  /** Repeated query keys arrive grouped by key, not in the order sent. */
  readonly groupsQueryKeys?: boolean;
  /** Of a repeated header or query key, only the last value arrives. */
  readonly lastValueOnly?: boolean;
  /**
   * Header values arrive decoded from UTF-8 rather than as the bytes sent
   * (workerd): a value sent as UTF-8 bytes arrives as the text it encodes.
   */
  readonly utf8Headers?: boolean;
  /**
   * A client that leaves mid-request fails the App's body read, but
   * `request.signal` fires only for one that leaves mid-response (workerd).
   */
  readonly noMidRequestSignal?: boolean;
  /**
   * Nothing in front of the App tells the client's address (workerd without
   * Cloudflare's front): `ctx.clientAddress` must be undefined, not guessed.
   */
  readonly noClientAddress?: boolean;
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
