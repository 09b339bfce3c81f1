/** Options of {@link startContainer}: gunicorn's settings, in milliseconds. */
export interface ContainerOptions {
  /**
   * The App's module: a path (relative to the working directory) or a file
   * URL. Its default export, or its export named `app`, is the App. Each
   * worker imports it afresh, so a reload picks up new code.
   */
  app: string | URL;
  /** Worker processes; the most under idle scaling. Defaults to the CPU count. */
  workers?: number;
  /**
   * Turn on idle scaling (uWSGI's cheaper mode): keep this many workers when
   * idle, add workers up to `workers` while the ones running are busy, and
   * retire the extra ones after `idleTimeout` without requests.
   */
  minWorkers?: number;
  /** Milliseconds without a request after which one extra worker retires. Defaults to 30 s. */
  idleTimeout?: number;
  /** The port the workers share; 0 picks a free one. Defaults to 3000. */
  port?: number;
  /** The address to listen on. Defaults to `127.0.0.1`. */
  hostname?: string;
  /**
   * Milliseconds a request may take before it is answered 504 and its
   * signal aborts (gunicorn's `timeout`, uWSGI's `harakiri`). A worker whose
   * event loop stays blocked this long (a CPU loop) is killed and replaced.
   * Defaults to 30 s.
   */
  timeout?: number;
  /**
   * Milliseconds a stopping worker has to finish its in-flight requests and
   * `waitUntil` work, on reload, recycling and shutdown. Defaults to 30 s.
   */
  gracefulTimeout?: number;
  /** Milliseconds an idle keep-alive connection stays open. Defaults to 5 s. */
  keepAliveTimeout?: number;
  /** See `ServeOptions.headersTimeout`. */
  headersTimeout?: number;
  /** See `ServeOptions.requestTimeout`. */
  requestTimeout?: number;
  /** See `ServeOptions.maxBodySize`. */
  maxBodySize?: number;
  /** See `ServeOptions.trustProxy` (a function cannot reach the workers). */
  trustProxy?: boolean | number;
  /**
   * Retire a worker after it has served this many requests, replacing it
   * first so nothing is dropped (gunicorn's `max_requests`). Off by default.
   */
  maxRequests?: number;
  /**
   * Add a random 0…`maxRequestsJitter` to each worker's `maxRequests`, so
   * that workers do not all retire at once. Defaults to 0.
   */
  maxRequestsJitter?: number;
  /**
   * Retire a worker whose resident memory passed this many bytes, as seen
   * in its heartbeat, replacing it first so nothing is dropped (uWSGI's
   * `reload-on-rss`). It bounds what a worker holds whatever holds it: V8
   * keeps the heap it grew to, and allocators what they freed. Off by
   * default.
   */
  maxRss?: number;
  /**
   * Cron expressions (5 fields, or 6 with seconds first) on which the App's
   * `scheduled(controller, env, ctx)` runs, in one worker at a time. A run
   * due while the previous run of the same expression still goes is skipped
   * and logged.
   */
  crons?: readonly string[];
  /**
   * A path every worker answers itself, before the App: 200 while it takes
   * requests, 503 once it is stopping. Probes are not counted as requests
   * (for `maxRequests`, idle scaling and `stats()`). Off by default.
   */
  readinessPath?: string;
  /** Flags for the worker processes' Node. Defaults to the primary's own. */
  execArgv?: readonly string[];
  /** Milliseconds between worker heartbeats. Defaults to a quarter of `timeout`, at most 1 s. */
  heartbeatInterval?: number;
  /** Where the container's log lines go. Defaults to standard error. */
  log?: (line: string) => void;
  /**
   * Abandons the start when aborted while {@link startContainer} is under
   * way: the workers already started are stopped, then it rejects with a
   * `ContainerError`. Ignored once it has resolved: stop with `close()`.
   */
  signal?: AbortSignal;
}

/** One worker, as {@link Container.stats} reports it. */
export interface WorkerStats {
  /** The worker's place: stays the same when it is replaced. */
  readonly slot: number;
  readonly pid: number | undefined;
  readonly state: 'starting' | 'ready' | 'stopping';
  /** Which reload started it: 0 for the first workers. */
  readonly generation: number;
  /** Requests it received. */
  readonly requests: number;
  readonly inFlight: number;
  /** Resident memory in bytes, at its last heartbeat (or its answer to {@link Container.currentStats}). */
  readonly rss: number;
  /** How many times a worker in this slot crashed, hung or was killed and was replaced. */
  readonly restarts: number;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
}

/** What {@link Container.stats} returns. */
export interface ContainerStats {
  readonly pid: number;
  readonly workers: readonly WorkerStats[];
  /** Requests served by all workers, including those that have exited. */
  readonly requests: number;
  readonly restarts: number;
  readonly reloads: number;
  /** Workers retired after `maxRequests` or by idle scaling. */
  readonly retired: number;
  readonly scheduled: { readonly runs: number; readonly failures: number; readonly skipped: number };
}

/** A running container, as {@link startContainer} returns it. */
export interface Container {
  /** The shared address as a URL, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  readonly port: number;
  /**
   * Start new workers on the App's current code; once all are ready, stop
   * the old ones gracefully. Nothing is dropped. Rejects, leaving the old
   * workers serving, if the new code fails to start. Reloads queue up.
   */
  reload(): Promise<void>;
  /** Stop every worker gracefully, then the scheduler. */
  close(): Promise<void>;
  /** The figures of each worker as of its last heartbeat (at most `heartbeatInterval` old). */
  stats(): ContainerStats;
  /**
   * {@link stats} with each worker's figures asked for now, for a person
   * reading them (`gatehouse start` on SIGUSR2). A worker that has not
   * answered within `wait` milliseconds (250 by default), one in a CPU loop
   * for instance, keeps its last heartbeat's. Never rejects.
   */
  currentStats(wait?: number): Promise<ContainerStats>;
}
