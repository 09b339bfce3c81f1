/**
 * The messages a container's primary and its worker processes exchange over
 * the cluster IPC channel. Everything here must survive JSON.
 */

/** What a worker is told at start, through its environment. */
export interface WorkerConfig {
  /** Absolute file URL of the App's module. */
  readonly app: string;
  readonly port: number;
  readonly hostname: string;
  readonly slot: number;
  readonly generation: number;
  readonly handlerTimeout: number;
  readonly gracefulTimeout: number;
  readonly keepAliveTimeout: number | undefined;
  readonly headersTimeout: number | undefined;
  readonly requestTimeout: number | undefined;
  readonly maxBodySize: number | undefined;
  readonly trustProxy: boolean | number;
  /** Requests after which the worker asks to retire; 0 for never. */
  readonly maxRequests: number;
  readonly heartbeatInterval: number;
  readonly readinessPath: string | undefined;
  /** Whether the App must have `scheduled`, because crons are configured. */
  readonly needsScheduled: boolean;
}

/** The environment variable that carries a worker's {@link WorkerConfig}. */
export const WORKER_CONFIG_ENV = 'GATEHOUSE_WORKER_CONFIG';

export type WorkerMessage =
  | { readonly t: 'ready'; readonly port: number }
  | { readonly t: 'failed'; readonly message: string }
  | {
      readonly t: 'beat';
      readonly requests: number;
      readonly inFlight: number;
      /** Milliseconds spent with a request in flight since the worker started. */
      readonly busy: number;
      readonly rss: number;
      /** The `report` this beat answers; none for a beat on the worker's own timer. */
      readonly report?: number;
    }
  | { readonly t: 'retire' }
  | { readonly t: 'ran'; readonly id: number; readonly error: string | undefined };

export type PrimaryMessage =
  /** Stop accepting; let keep-alive connections end on their own (reload, recycling, scaling down). */
  | { readonly t: 'drain' }
  /** Stop accepting and close idle connections at once (shutdown). */
  | { readonly t: 'stop' }
  | { readonly t: 'run'; readonly id: number; readonly cron: string; readonly scheduledTime: number }
  /** Send a beat now, answering `id`: stats asked for by a person must not be a heartbeat old. */
  | { readonly t: 'report'; readonly id: number };

// Tell our messages apart from whatever else an App may send over IPC.
const hasTag = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';

export const isWorkerMessage: (value: unknown) => value is WorkerMessage = hasTag as never;
export const isPrimaryMessage: (value: unknown) => value is PrimaryMessage = hasTag as never;
