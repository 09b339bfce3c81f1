import { UsageError } from '../usage-error.ts';
import { importWrangler } from '../wrangler-command.ts';
import type { TierLog } from './tier-log.ts';

/** What `gatehouse dev` uses of wrangler's `unstable_startWorker`, stated here so wrangler stays an optional peer. */
interface StartedWorker {
  ready: Promise<void>;
  url: Promise<URL>;
  dispose(): Promise<void>;
  raw: { on(event: string, listener: (event: WranglerEvent) => void): unknown };
}

interface WranglerEvent {
  type: string;
  reason?: string;
  cause?: { message?: string; errors?: { text: string; location?: { file: string; line: number } | null }[] };
  text?: string;
  stack?: string;
}

type StartWorker = (input: {
  config: string;
  bindings: Record<string, { type: 'plain_text'; value: string }>;
  dev: {
    server: { hostname: string; port: number };
    inspector: false;
    watch: boolean;
    persist: false;
    logLevel: 'none';
    structuredLogsHandler(log: { level: string; message: string }): void;
  };
}) => Promise<StartedWorker>;

export interface EdgeWorkerOptions {
  /** The project's folder: wrangler is found from there. */
  readonly root: string;
  /** The wrangler config, absolute. */
  readonly wrangler: string;
  readonly host: string;
  readonly port: number;
  /** Worker vars that override the config's: each origin's URL under its `edgeVar`. */
  readonly vars: Readonly<Record<string, string>>;
  readonly conditions: readonly string[];
  readonly log: TierLog;
}

/**
 * The edge in workerd, through wrangler's own dev engine
 * (`unstable_startWorker`): the Worker bundled from the same entry and
 * wrangler config that deploy, its assets through the binding, its code and
 * config watched. wrangler keeps a proxy on the port while it reloads, so a
 * request made then waits rather than being refused.
 */
export class EdgeWorker {
  readonly url: string;
  readonly #worker: StartedWorker;

  private constructor(url: string, worker: StartedWorker) {
    this.url = url;
    this.#worker = worker;
  }

  static async start(options: EdgeWorkerOptions): Promise<EdgeWorker> {
    // Read by wrangler as it loads: its own log lines would come unprefixed.
    process.env.WRANGLER_LOG ??= 'none';
    process.env.WRANGLER_WRITE_LOGS ??= 'false';
    process.env.WRANGLER_SEND_METRICS ??= 'false';
    if (options.conditions.length > 0) {
      process.env.WRANGLER_BUILD_CONDITIONS ??= [...options.conditions, 'workerd', 'worker', 'browser'].join(',');
    }
    const startWorker = await loadWrangler(options.root);
    const { log } = options;
    const worker = await startWorker({
      config: options.wrangler,
      // Bindings, not [vars]: .dev.vars and .env would override those.
      bindings: Object.fromEntries(Object.entries(options.vars).map(([name, value]) => [name, { type: 'plain_text', value }])),
      dev: {
        server: { hostname: options.host, port: options.port },
        inspector: false,
        watch: true,
        persist: false,
        logLevel: 'none',
        structuredLogsHandler: ({ level, message }) => (level === 'error' || level === 'warn' ? log.error(message) : log.line(message)),
      },
    });
    const loaded = new Promise<void>((resolve) => worker.raw.on('reloadComplete', () => resolve()));
    let first = true;
    worker.raw.on('reloadComplete', () => {
      if (!first) log.line('reloaded');
      first = false;
    });
    worker.raw.on('bundleStart', () => {
      if (!first) log.line('change seen: rebuilding');
    });
    worker.raw.on('buildFailed', (event) => {
      const errors = event.cause?.errors ?? [];
      for (const error of errors) {
        const where = error.location ? `${error.location.file}:${error.location.line}: ` : '';
        log.error(`build failed: ${where}${error.text}`);
      }
      if (errors.length === 0) log.error(`build failed: ${event.cause?.message ?? 'no reason given'}`);
      log.error('the last good version serves on');
    });
    worker.raw.on('runtimeError', (event) => log.error(event.stack ?? event.text ?? 'runtime error'));
    worker.raw.on('error', (event) => log.error(`${event.reason ?? 'error'}: ${event.cause?.message ?? ''}`));
    await worker.ready;
    // `ready` comes before the Worker has loaded; its first reloadComplete means it has.
    await loaded;
    return new EdgeWorker((await worker.url).href, worker);
  }

  async stop(): Promise<void> {
    await this.#worker.dispose();
  }
}

async function loadWrangler(root: string): Promise<StartWorker> {
  const wrangler = await importWrangler(root, 'the edge runs in workerd');
  if (typeof wrangler.unstable_startWorker !== 'function') {
    throw new UsageError(`the installed wrangler has no unstable_startWorker: gatehouse dev needs wrangler 4`);
  }
  return wrangler.unstable_startWorker as StartWorker;
}
