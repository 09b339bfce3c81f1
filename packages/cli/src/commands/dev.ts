import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseCommandArgs } from '../command-args.ts';
import { edgeVarOf, loadConfigFile } from '../config-file.ts';
import { EdgeWorker } from '../dev/edge-worker.ts';
import { LambdaOrigin } from '../dev/lambda-origin.ts';
import { ModuleWatch } from '../dev/module-watch.ts';
import { NodeOrigin } from '../dev/node-origin.ts';
import { ensurePortFree, freePort } from '../dev/ports.ts';
import { CombinedLog } from '../dev/tier-log.ts';
import { UsageError } from '../usage-error.ts';

export const DEV_HELP = `Usage: gatehouse dev [options]

Runs the whole stack on this machine, as gatehouse.config.ts describes it:
the edge in workerd (through wrangler, from the Worker entry and wrangler
config that deploy) with each origin's URL in its edgeVar; Node origins in
the application container; Lambda origins behind the emulator's event
source. A saved file reloads the tier that imports it, without dropping the
others. Ctrl+C stops everything.

Options:
  -p, --port <n>         the edge's port (default: edge.port, else 8787)
  -H, --host <address>   address every tier listens on (default 127.0.0.1)
  -c, --config <file>    config file (default: ./gatehouse.config.{ts,mjs,js})
  -h, --help             this help
`;

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string', short: 'H' },
  config: { type: 'string', short: 'c' },
} as const;

/** One origin as dev runs it. */
interface RunningOrigin {
  readonly url: string;
  reload(): void | Promise<void>;
  stop(): Promise<void>;
}

/** `gatehouse dev`: resolves with the exit code once everything has stopped. */
export async function dev(args: readonly string[]): Promise<number> {
  const { values, positionals, typed } = parseCommandArgs(args, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`dev takes no arguments, not ${positionals.join(' ')}: the tiers come from gatehouse.config.ts`, { seeHelp: true });
  const { file, root, config } = await loadConfigFile(values.config);
  if (file === undefined) {
    throw new UsageError('no gatehouse.config.ts here: dev runs the tiers it names (npm create gatehouse makes a project with one)');
  }
  const name = relative(process.cwd(), file) || file;
  const origins = Object.entries(config.origins ?? {});
  if (config.edge === undefined && origins.length === 0) throw new UsageError(`${name} names no edge and no origins: nothing to run`);
  const host = values.host ?? '127.0.0.1';
  const conditions = config.conditions ?? [];
  const mustExist = (path: string, field: string): string => {
    const absolute = resolve(root, path);
    if (!existsSync(absolute)) throw new UsageError(`${name}: ${field} is ${path}, which does not exist`);
    return absolute;
  };

  // Everything checked before anything starts: a half-started stack would need stopping.
  const edgePort = values.port === undefined ? (config.edge?.port ?? 8787) : portNumber(values.port, typed.get('port') ?? '--port');
  const wrangler = config.edge === undefined ? undefined : mustExist(config.edge.wrangler ?? './wrangler.toml', 'edge.wrangler');
  if (wrangler !== undefined) await ensurePortFree(edgePort, host, values.port === undefined ? `${name} (edge.port)` : (typed.get('port') ?? '--port'));
  const plans = await Promise.all(
    origins.map(async ([originName, origin]) => {
      const entry = mustExist(origin.entry, `origins.${originName}.entry`);
      if (origin.port !== undefined) await ensurePortFree(origin.port, host, `${name} (origins.${originName}.port)`);
      return { name: originName, origin, entry, port: origin.port ?? (await freePort(host)) };
    }),
  );

  const log = new CombinedLog([...(wrangler === undefined ? [] : ['edge']), ...plans.map((plan) => plan.name)]);
  const running: { name: string; origin: RunningOrigin; watch: ModuleWatch | undefined }[] = [];
  let edge: EdgeWorker | undefined;
  let stopping = false;
  let firstSignal = 0;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolveStop) => (stopRequested = resolveStop));
  const onSignal = (): void => {
    if (stopping) {
      // Under `npm run`, one Ctrl+C comes twice: from the terminal, and
      // relayed by npm. A second one a person typed: stop at once (the
      // origins' containers end with their stdin as this process exits).
      if (Date.now() - firstSignal > 1_000) process.exit(130);
      return;
    }
    firstSignal = Date.now();
    stopping = true;
    log.say('\nStopping (Ctrl+C again to stop at once)…');
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const started = Date.now();
    for (const plan of plans) {
      if (stopping) break;
      const tierLog = log.tier(plan.name);
      const origin: RunningOrigin =
        plan.origin.kind === 'node'
          ? await NodeOrigin.start({ entry: plan.entry, port: plan.port, host, workers: plan.origin.workers ?? 1, conditions, log: tierLog })
          : await LambdaOrigin.start({ entry: plan.entry, port: plan.port, host, source: plan.origin.source ?? 'function-url', conditions, log: tierLog });
      const watch = await ModuleWatch.start(plan.entry, conditions, (files) => {
        tierLog.line(`${files.map((changed) => relative(root, changed)).join(', ')} changed: reloading`);
        void origin.reload();
      });
      running.push({ name: plan.name, origin, watch });
    }
    if (wrangler !== undefined && !stopping) {
      const vars = Object.fromEntries(plans.map((plan, index) => [edgeVarOf(plan.origin, plans.length), running[index]!.origin.url.replace(/\/$/, '')]));
      edge = await startEdgeWithoutItsExitHandlers({ root, wrangler, host, port: edgePort, vars, conditions, log: log.tier('edge', true) });
    }
    if (!stopping) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      log.say('');
      if (edge !== undefined) log.say(`  ➜ edge   ${edge.url}   (open this one)`);
      for (const { name: originName, origin } of running) log.say(`  ➜ ${originName.padEnd(6)} ${origin.url}`);
      log.say(`\n  ready in ${seconds} s · a saved file reloads its tier · Ctrl+C stops\n`);
    }
    await stopped;
    return 0;
  } finally {
    for (const { watch } of running) watch?.close();
    await Promise.allSettled([edge?.stop(), ...running.map(({ origin }) => origin.stop())]);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (stopping) log.say('Stopped.');
  }
}

/**
 * Miniflare answers SIGINT, SIGTERM and SIGHUP by killing workerd and
 * exiting the process at once, before the origins have stopped. Its
 * handlers are taken off (its exit handler, which kills workerd whatever
 * ends the process, stays): dev stops every tier itself, then exits.
 */
async function startEdgeWithoutItsExitHandlers(options: Parameters<typeof EdgeWorker.start>[0]): Promise<EdgeWorker> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  try {
    return await EdgeWorker.start(options);
  } finally {
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.has(listener)) process.off(signal, listener);
      }
    }
  }
}

function portNumber(value: string, flag: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`${flag} wants a port number (0 to 65535), not "${value}"`, { seeHelp: true });
  return port;
}
