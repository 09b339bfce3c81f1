import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { startContainer, type Container, type ContainerOptions } from '@gatehouse/node/container';
import { loadConfigFile } from '../config-file.ts';
import { STOP_WITH_STDIN_ENV } from '../dev/node-origin.ts';
import { formatStats } from '../format-stats.ts';
import { parseCommandArgs } from '../command-args.ts';
import { UsageError } from '../usage-error.ts';

export const START_HELP = `Usage: gatehouse start [app] [options]

Runs the App exported by [app] (its default export, or "app") in worker
processes sharing one port. SIGHUP reloads the code without dropping a
request, SIGTERM and SIGINT stop gracefully, SIGUSR2 prints the workers'
current stats.

Options (times in seconds):
  -w, --workers <n>             worker processes (default: the CPU count)
      --min-workers <n>         idle scaling: keep n when idle, grow to --workers under load
      --idle-timeout <s>        idle time before an extra worker retires (default 30)
  -p, --port <n>                port (default: $PORT, else 3000)
  -H, --host <address>          address to listen on (default 127.0.0.1)
  -t, --timeout <s>             a request past it gets 504; a worker blocked this long is replaced (default 30)
      --graceful-timeout <s>    time to finish in-flight requests on reload and stop (default 30)
      --keep-alive <s>          idle keep-alive connection lifetime (default 5)
      --max-requests <n>        recycle a worker after n requests (default: never)
      --max-requests-jitter <n> add up to n to each worker's --max-requests
      --max-rss <MiB>           recycle a worker whose resident memory passed this (default: never)
      --max-body-size <bytes>   larger request bodies get 413 (default 10 MiB)
      --trust-proxy <hops>      believe X-Forwarded-For/-Proto from this many proxies ("true": all)
      --cron <expression>       run the App's scheduled() on this cron (repeatable)
      --readiness <path>        answer this path with 200 while ready, 503 while stopping
      --stats                   print worker stats every --stats-interval seconds
      --stats-interval <s>      (default 10)
  -c, --config <file>           config file (default: ./gatehouse.config.{ts,mjs,js} if present)
  -h, --help                    this help
`;

const OPTIONS = {
  workers: { type: 'string', short: 'w' },
  'min-workers': { type: 'string' },
  'idle-timeout': { type: 'string' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string', short: 'H' },
  timeout: { type: 'string', short: 't' },
  'graceful-timeout': { type: 'string' },
  'keep-alive': { type: 'string' },
  'max-requests': { type: 'string' },
  'max-requests-jitter': { type: 'string' },
  'max-rss': { type: 'string' },
  'max-body-size': { type: 'string' },
  'trust-proxy': { type: 'string' },
  cron: { type: 'string', multiple: true },
  readiness: { type: 'string' },
  stats: { type: 'boolean' },
  'stats-interval': { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

type Name = keyof typeof OPTIONS;

/** `gatehouse start`: resolves with the exit code once the container has stopped. */
export async function start(args: readonly string[]): Promise<number> {
  const { values, positionals, typed } = parseCommandArgs(args, OPTIONS);
  if (positionals.length > 1) {
    throw new UsageError(`start takes one App, not ${positionals.length}: ${positionals.join(' ')}`, { seeHelp: true });
  }
  const flag = (name: Name): string => typed.get(name) ?? `--${name}`;
  const wrong = (name: Name, wants: string): UsageError =>
    new UsageError(`${flag(name)} wants ${wants}, not "${String(values[name])}"`, { seeHelp: true });

  const config = await loadConfig(values.config);
  const options: ContainerOptions = { ...config.options, app: positionals[0] ?? config.app ?? '' };
  if (options.app === '') throw new UsageError('which App? Give its module: gatehouse start ./src/app.ts');

  const count = (name: Name, least: 0 | 1 = 0): number | undefined => {
    const value = values[name];
    if (typeof value !== 'string') return undefined;
    const number = Number(value);
    if (value.trim() === '' || !Number.isInteger(number) || number < least) {
      throw wrong(name, least === 0 ? 'a whole number' : 'a whole number of at least 1');
    }
    return number;
  };
  const seconds = (name: Name): number | undefined => {
    const value = values[name];
    if (typeof value !== 'string') return undefined;
    const number = Number(value);
    if (value.trim() === '' || !(number > 0)) throw wrong(name, 'a number of seconds above 0');
    return number * 1000;
  };
  const port = (): number | undefined => {
    const number = count('port');
    if (number !== undefined && number > 65_535) throw wrong('port', 'a port number (0 to 65535)');
    return number;
  };
  const set = <K extends keyof ContainerOptions>(key: K, value: ContainerOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('workers', count('workers', 1));
  set('minWorkers', count('min-workers', 1));
  set('idleTimeout', seconds('idle-timeout'));
  set('port', port() ?? options.port ?? portFromEnv());
  set('hostname', values.host);
  set('timeout', seconds('timeout'));
  set('gracefulTimeout', seconds('graceful-timeout'));
  set('keepAliveTimeout', seconds('keep-alive'));
  set('maxRequests', count('max-requests'));
  set('maxRequestsJitter', count('max-requests-jitter'));
  const maxRss = count('max-rss', 1);
  set('maxRss', maxRss === undefined ? undefined : maxRss * 2 ** 20);
  set('maxBodySize', count('max-body-size'));
  if (values['trust-proxy'] !== undefined) {
    const trust = trustProxy(values['trust-proxy']);
    if (trust === undefined) throw wrong('trust-proxy', 'true, false or a hop count');
    set('trustProxy', trust);
  }
  set('crons', values.cron === undefined ? undefined : [...(options.crons ?? []), ...values.cron]);
  if (values.readiness?.startsWith('/') === false) throw wrong('readiness', 'a path starting with "/"');
  set('readinessPath', values.readiness);
  // The container would say it too, but in its own words (minWorkers), not in the ones typed.
  if (options.minWorkers !== undefined && (typed.has('min-workers') || typed.has('workers'))) {
    const workers = options.workers ?? availableParallelism();
    if (options.minWorkers > workers) {
      const min = typed.get('min-workers') ?? 'minWorkers';
      const max = typed.get('workers') ?? (options.workers === undefined ? '--workers, which defaults to the CPU count' : 'workers');
      throw new UsageError(`${min} (${options.minWorkers}) is more than ${max} (${workers})`, { seeHelp: true });
    }
  }
  // Checked now: a usage error once the workers run would leave them running.
  const statsInterval = seconds('stats-interval') ?? 10_000;

  const log = (line: string): void => void process.stderr.write(`[gatehouse] ${line}\n`);
  // Handlers for the whole life of the primary: a signal without one would
  // kill it, and its workers with it, mid-request.
  let container: Container | undefined;
  let stopping = false;
  // Asked of the workers now: a heartbeat-old count would miss the requests
  // someone just made and now looks for.
  let printing: Promise<void> | undefined;
  const printStats = (): void => {
    if (container === undefined || printing !== undefined) return;
    printing = container
      .currentStats()
      .then((stats) => void process.stderr.write(formatStats(stats)))
      .finally(() => (printing = undefined));
  };
  const reload = (): void => {
    if (container === undefined || stopping) {
      log('SIGHUP: not serving yet, or stopping: nothing to reload');
      return;
    }
    log('SIGHUP: reloading');
    container.reload().catch(() => {
      // The container logged why; the old workers go on serving.
    });
  };
  // A stop asked for while the App still starts must not wait for the
  // start to end: that can take the whole start timeout, or never come.
  const startup = new AbortController();
  let requested!: (signal: NodeJS.Signals) => void;
  const stopRequested = new Promise<NodeJS.Signals>((resolveSignal) => (requested = resolveSignal));
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.once('SIGINT', () => process.exit(130));
    if (container === undefined) {
      log(`${signal}: stopping the start (send SIGINT again to stop at once)`);
      startup.abort();
    } else {
      log(`${signal}: stopping gracefully (send SIGINT again to stop at once)`);
    }
    requested(signal);
  };
  const onTerm = (): void => stop('SIGTERM');
  const onInt = (): void => stop('SIGINT');
  process.on('SIGHUP', reload);
  process.on('SIGUSR2', printStats);
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  // Under `gatehouse dev`: its end, however it came, closes our stdin.
  const stopWithStdin = process.env[STOP_WITH_STDIN_ENV] === '1';
  if (stopWithStdin) process.stdin.on('end', onTerm).resume();
  let statsTimer: NodeJS.Timeout | undefined;
  try {
    try {
      container = await startContainer({ ...options, log, signal: startup.signal });
    } catch (error) {
      if (!startup.signal.aborted) throw error;
      log('stopped');
      return 0;
    }
    const stats = container.stats();
    log(`serving ${options.app} on ${container.url} with ${stats.workers.length} worker(s), primary pid ${stats.pid}`);
    if (values.stats === true) statsTimer = setInterval(printStats, statsInterval);

    await stopRequested;
    clearInterval(statsTimer);
    // A table half-asked for would come after "stopped".
    await printing;
    await container.close();
    log('stopped');
    return 0;
  } finally {
    clearInterval(statsTimer);
    // Whatever ended the command, a signal from now on must end the process
    // (its default), not resolve a promise nobody waits for.
    process.off('SIGHUP', reload);
    process.off('SIGUSR2', printStats);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    if (stopWithStdin) process.stdin.off('end', onTerm).destroy();
  }
}

/** `start`'s part of the config file, its App resolved from the file's folder. */
async function loadConfig(explicit: string | undefined): Promise<{ app: string | undefined; options: Partial<ContainerOptions> }> {
  const { root, config } = await loadConfigFile(explicit);
  const { app, ...options } = config.start ?? {};
  return { app: app === undefined ? undefined : resolve(root, app), options };
}

function portFromEnv(): number | undefined {
  const value = process.env.PORT;
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`$PORT is not a port number: "${value}"`);
  return port;
}

/** `--trust-proxy`'s value, or undefined if it is none of the forms it takes. */
function trustProxy(value: string): boolean | number | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  const hops = Number(value);
  return value.trim() === '' || !Number.isInteger(hops) || hops < 0 ? undefined : hops;
}
