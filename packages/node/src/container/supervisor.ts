import cluster, { type Worker } from 'node:cluster';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Backoff } from './backoff.ts';
import { isWorkerMessage, WORKER_CONFIG_ENV, type PrimaryMessage, type WorkerConfig, type WorkerMessage } from './protocol.ts';
import { IdleScaler } from './scaler.ts';
import { Scheduler } from './scheduler.ts';
import type { Container, ContainerOptions, ContainerStats, WorkerStats } from './settings.ts';

/** The container could not start or reload; the message says why, for a person. */
export class ContainerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerError';
  }
}

const WORKER_ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url),
);

/** A worker has this long to load the App and listen, at least. */
const MIN_START_TIMEOUT = 30_000;
/** How long {@link Supervisor.currentStats} waits for the workers' answers by default. */
const REPORT_WAIT = 250;
/** Beyond `gracefulTimeout`, how long a stopping worker may take before it is killed. */
const STOP_MARGIN = 5_000;

/**
 * Run the App in `options.app` in worker processes sharing one port, the
 * way gunicorn runs a WSGI app: crashed or hung workers are replaced,
 * `reload()` swaps in new code without dropping a request, requests past
 * `timeout` get 504, workers can be recycled after `maxRequests`, scaled
 * with load, and the App's `scheduled` handler runs on cron expressions.
 *
 * The calling process becomes the cluster's primary: call it once per
 * process. `gatehouse start` wraps it and maps signals to it (SIGHUP
 * reloads, SIGTERM and SIGINT stop).
 *
 * @example
 * ```ts
 * import { startContainer } from '@gatehouse/node/container'
 *
 * const container = await startContainer({ app: './src/app.ts', workers: 4, port: 3000 })
 * process.on('SIGHUP', () => void container.reload())
 * process.once('SIGTERM', () => void container.close())
 * ```
 */
export async function startContainer(options: ContainerOptions): Promise<Container> {
  if (!cluster.isPrimary) throw new ContainerError('startContainer() runs in the primary process, not in a worker');
  const settings = await settle(options);
  const supervisor = new Supervisor(settings);
  await supervisor.start(options.signal);
  return supervisor;
}

interface Settings {
  readonly appUrl: string;
  readonly workers: number;
  readonly minWorkers: number;
  readonly idleTimeout: number;
  readonly port: number;
  readonly hostname: string;
  readonly timeout: number;
  readonly gracefulTimeout: number;
  readonly maxRequests: number;
  readonly maxRequestsJitter: number;
  readonly maxRss: number;
  readonly crons: readonly string[];
  readonly heartbeatInterval: number;
  readonly execArgv: readonly string[];
  readonly log: (line: string) => void;
  readonly worker: Omit<WorkerConfig, 'slot' | 'generation' | 'maxRequests' | 'port'>;
}

async function settle(options: ContainerOptions): Promise<Settings> {
  const appUrl = options.app instanceof URL ? options.app.href : pathToFileURL(resolve(options.app)).href;
  if (appUrl.startsWith('file:')) {
    const path = fileURLToPath(appUrl);
    const found = await stat(path).catch(() => undefined);
    if (found === undefined) throw new ContainerError(`the App file ${path} does not exist`);
    if (!found.isFile()) throw new ContainerError(`the App file ${path} is not a file`);
  }
  const workers = positiveInteger('workers', options.workers ?? availableParallelism());
  const minWorkers = positiveInteger('minWorkers', options.minWorkers ?? workers);
  if (minWorkers > workers) throw new ContainerError(`minWorkers (${minWorkers}) is more than workers (${workers})`);
  const timeout = positiveNumber('timeout', options.timeout ?? 30_000);
  const gracefulTimeout = positiveNumber('gracefulTimeout', options.gracefulTimeout ?? 30_000);
  const crons = options.crons ?? [];
  try {
    Scheduler.validate(crons);
  } catch (error) {
    throw new ContainerError((error as Error).message);
  }
  const hostname = options.hostname ?? '127.0.0.1';
  const port = options.port ?? 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ContainerError(`port ${port} is not a port number`);
  if (options.readinessPath !== undefined && !options.readinessPath.startsWith('/')) {
    throw new ContainerError(`readinessPath must start with "/": ${options.readinessPath}`);
  }
  const heartbeatInterval = positiveNumber('heartbeatInterval', options.heartbeatInterval ?? Math.min(1000, timeout / 4));
  if (heartbeatInterval >= timeout) {
    throw new ContainerError(`heartbeatInterval (${heartbeatInterval} ms) must be shorter than timeout (${timeout} ms)`);
  }
  const maxRequests = wholeNumber('maxRequests', options.maxRequests ?? 0);
  const maxRequestsJitter = wholeNumber('maxRequestsJitter', options.maxRequestsJitter ?? 0);
  const maxRss = wholeNumber('maxRss', options.maxRss ?? 0);
  const idleTimeout = positiveNumber('idleTimeout', options.idleTimeout ?? 30_000);
  return {
    appUrl,
    workers,
    minWorkers,
    idleTimeout,
    // Workers that listen on port 0 would each get their own port once the
    // shared one closes (all workers gone): pick it once, here.
    port: port === 0 ? await freePort(hostname).catch((error: Error) => {
      throw new ContainerError(`cannot listen on ${hostname}: ${error.message}`);
    }) : port,
    hostname,
    timeout,
    gracefulTimeout,
    maxRequests,
    maxRequestsJitter,
    maxRss,
    // The same expression twice would only skip itself each time.
    crons: [...new Set(crons)],
    heartbeatInterval,
    execArgv: options.execArgv ?? process.execArgv,
    log: options.log ?? ((line) => console.error(`[gatehouse] ${line}`)),
    worker: {
      app: appUrl,
      hostname,
      handlerTimeout: timeout,
      gracefulTimeout,
      keepAliveTimeout: options.keepAliveTimeout,
      headersTimeout: options.headersTimeout,
      requestTimeout: options.requestTimeout,
      maxBodySize: options.maxBodySize,
      trustProxy: options.trustProxy ?? false,
      heartbeatInterval,
      readinessPath: options.readinessPath,
      needsScheduled: crons.length > 0,
    },
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ContainerError(`${name} must be a whole number of at least 1, not ${value}`);
  return value;
}

function wholeNumber(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new ContainerError(`${name} must be a whole number, not ${value}`);
  return value;
}

function positiveNumber(name: string, value: number): number {
  if (!(value > 0)) throw new ContainerError(`${name} must be a number of milliseconds above 0, not ${value}`);
  return value;
}

/**
 * A port for `port: 0`, free now, that the workers bind after. It is taken
 * below Linux's ephemeral range (32768–60999): a port the kernel hands out
 * for port 0 may be given again, before the workers bind it, as the local
 * port of any outgoing connection. Each candidate is checked by binding it.
 */
async function freePort(hostname: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 24_000 + Math.floor(Math.random() * 8_000);
    const probe = createServer();
    const bound = await new Promise<boolean>((resolve, reject) => {
      probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      probe.listen(port, hostname, () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
    if (attempt >= 50) throw new Error('no free port between 24000 and 32000');
  }
}

/** A place for one worker: it keeps its number and restart count across replacements. */
interface Slot {
  readonly number: number;
  restarts: number;
  readonly backoff: Backoff;
  current: Member | undefined;
  respawn: NodeJS.Timeout | undefined;
}

/** A worker process and what the primary knows of it. */
interface Member {
  readonly worker: Worker;
  readonly slot: Slot;
  readonly generation: number;
  readonly startedAt: number;
  state: 'starting' | 'ready' | 'stopping';
  /** Replace it if it dies: false until a trial start (first start, reload) succeeds. */
  respawn: boolean;
  /** Started by a change still under way (not yet adopted nor stopped): not an orphan. */
  pending: boolean;
  /** Its process has exited. */
  gone: boolean;
  retiring: boolean;
  lastBeat: number;
  stoppingSince: number;
  requests: number;
  inFlight: number;
  busy: number;
  rss: number;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  markReady: () => void;
  markFailed: (error: Error) => void;
  /** Why the primary killed it, for the log. */
  killedFor: string | undefined;
}

class Supervisor implements Container {
  readonly url: string;
  readonly port: number;
  readonly #settings: Settings;
  readonly #slots: Slot[] = [];
  readonly #members = new Set<Member>();
  readonly #runs = new Map<number, { member: Member; settle: (error: Error | undefined) => void }>();
  /** Reports asked for by currentStats() and not answered yet, by id. */
  readonly #reports = new Map<number, { member: Member; answered: () => void }>();
  readonly #scheduler: Scheduler;
  readonly #scaler: IdleScaler | undefined;
  #generation = 0;
  #nextRun = 1;
  #nextReport = 1;
  #turn = 0;
  #closing: Promise<void> | undefined;
  /** Every change of who serves (reload, recycle, respawn, scaling) runs here, one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  #scaling = false;
  #ticker: NodeJS.Timeout | undefined;
  #lastTick = Date.now();
  #counts = { restarts: 0, reloads: 0, retired: 0, exitedRequests: 0, exitedBusy: 0 };

  constructor(settings: Settings) {
    this.#settings = settings;
    this.port = settings.port;
    const host = settings.hostname.includes(':') ? `[${settings.hostname}]` : settings.hostname;
    this.url = `http://${host}:${settings.port}/`;
    this.#scheduler = new Scheduler(settings.crons, (cron, time) => this.#dispatch(cron, time), settings.log);
    this.#scaler =
      settings.minWorkers < settings.workers
        ? new IdleScaler(settings.minWorkers, settings.workers, settings.idleTimeout, Date.now())
        : undefined;
  }

  async start(signal: AbortSignal | undefined): Promise<void> {
    const initial = this.#settings.minWorkers;
    for (let number = 1; number <= initial; number++) this.#slots.push(newSlot(number));
    // One first, so that a broken App or a taken port is reported once, not N times.
    const [first, ...rest] = this.#slots;
    const started: Member[] = [];
    const abort = (): void => void this.close();
    signal?.addEventListener('abort', abort);
    try {
      if (signal?.aborted === true) throw signal.reason;
      started.push(await this.#trial(first!));
      started.push(...(await Promise.all(rest.map((slot) => this.#trial(slot)))));
      if (this.#closing !== undefined) throw new ContainerError('the container is closing');
    } catch (error) {
      // The caller gets no Container to close: whatever this start made
      // (workers, timers) must go now, or it keeps the process alive.
      await this.close();
      if (signal?.aborted === true) throw new ContainerError('the start was aborted', { cause: signal.reason });
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    for (const member of started) this.#adopt(member);
    this.#startTicker();
    this.#scheduler.start();
  }

  #startTicker(): void {
    if (this.#ticker !== undefined) return;
    this.#lastTick = Date.now();
    this.#ticker = setInterval(() => this.#tick(), this.#settings.heartbeatInterval);
    this.#ticker.unref();
  }

  reload(): Promise<void> {
    return this.#serial(() => this.#reload());
  }

  /** Run `change` after every change queued before it. */
  #serial<T>(change: () => Promise<T>): Promise<T> {
    const done = this.#queue.then(change);
    this.#queue = done.catch(() => {});
    return done;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  stats(): ContainerStats {
    const members = [...this.#members].sort((a, b) => a.slot.number - b.slot.number || a.generation - b.generation);
    const workers = members.map(
      (member): WorkerStats => ({
        slot: member.slot.number,
        pid: member.worker.process.pid,
        state: member.state,
        generation: member.generation,
        requests: member.requests,
        inFlight: member.inFlight,
        rss: member.rss,
        restarts: member.slot.restarts,
        startedAt: member.startedAt,
      }),
    );
    return {
      pid: process.pid,
      workers,
      requests: this.#counts.exitedRequests + members.reduce((sum, member) => sum + member.requests, 0),
      restarts: this.#counts.restarts,
      reloads: this.#counts.reloads,
      retired: this.#counts.retired,
      scheduled: { runs: this.#scheduler.runs, failures: this.#scheduler.failures, skipped: this.#scheduler.skipped },
    };
  }

  async currentStats(wait: number = REPORT_WAIT): Promise<ContainerStats> {
    const asked: number[] = [];
    const answers: Promise<void>[] = [];
    for (const member of this.#members) {
      // One still starting has no one listening yet; its figures are zeros anyway.
      if (member.state === 'starting' || member.gone || !member.worker.isConnected()) continue;
      const id = this.#nextReport++;
      asked.push(id);
      answers.push(new Promise((answered) => this.#reports.set(id, { member, answered })));
      member.worker.send({ t: 'report', id } satisfies PrimaryMessage);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolveLate) => (timer = setTimeout(resolveLate, wait)));
    await Promise.race([Promise.all(answers), late]);
    clearTimeout(timer);
    for (const id of asked) this.#reports.delete(id);
    return this.stats();
  }

  async #reload(): Promise<void> {
    if (this.#closing !== undefined) throw new ContainerError('the container is closing');
    try {
      const generation = ++this.#generation;
      const old = this.#slots.map((slot) => slot.current).filter((member) => member !== undefined);
      const trials = this.#slots.map((slot) => this.#trial(slot, generation));
      const results = await Promise.allSettled(trials);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined || this.#closing !== undefined) {
        for (const result of results) if (result.status === 'fulfilled') void this.#stop(result.value, 'drain');
        if (failed === undefined) throw new ContainerError('the container is closing');
        const reason = (failed.reason as Error).message;
        this.#settings.log(`reload failed, the running workers go on serving: ${reason}`);
        throw new ContainerError(`reload failed: ${reason}`, { cause: failed.reason });
      }
      // The new workers take over: a respawn still waiting is not needed.
      for (const slot of this.#slots) {
        clearTimeout(slot.respawn);
        slot.respawn = undefined;
        slot.current = undefined;
      }
      for (const result of results) this.#adopt((result as PromiseFulfilledResult<Member>).value);
      this.#counts.reloads++;
      this.#settings.log(`reload: ${results.length} new worker(s) serving, the old ones finish their requests`);
      await Promise.all(old.map((member) => this.#stop(member, 'drain')));
      this.#settings.log('reloaded: the old workers have exited');
    } finally {
      // A respawn skipped or cancelled meanwhile must not leave a slot empty.
      for (const slot of this.#slots) this.#refill(slot);
    }
  }

  async #close(): Promise<void> {
    this.#scheduler.stop();
    for (const slot of this.#slots) clearTimeout(slot.respawn);
    // Workers still loading would hold a change (and so this close) up.
    for (const member of this.#members) if (member.state === 'starting') void this.#stop(member, 'stop');
    await this.#queue;
    // The ticker keeps running until the end: it kills workers too slow to
    // stop. A failed start closes before it ever ran.
    this.#startTicker();
    await Promise.all([...this.#members].map((member) => this.#stop(member, 'stop')));
    clearInterval(this.#ticker);
  }

  /** If `slot` has no worker and none is on its way, start one (through the queue). */
  #refill(slot: Slot, delay = 0): void {
    if (this.#closing !== undefined || slot.current !== undefined || slot.respawn !== undefined) return;
    if (!this.#slots.includes(slot)) return;
    slot.respawn = setTimeout(() => {
      slot.respawn = undefined;
      void this.#serial(() => this.#respawn(slot));
    }, delay);
  }

  async #respawn(slot: Slot): Promise<void> {
    if (this.#closing !== undefined || slot.current !== undefined || !this.#slots.includes(slot)) return;
    let member: Member;
    try {
      member = await this.#trial(slot);
    } catch (error) {
      this.#counts.restarts++;
      slot.restarts++;
      const delay = slot.backoff.next(0);
      this.#settings.log(`worker ${slot.number} failed to start: ${(error as Error).message}; trying again in ${delay} ms`);
      this.#refill(slot, delay);
      return;
    }
    this.#adopt(member);
  }

  /** Start a worker in `slot`; resolves once it serves, rejects if it cannot. */
  async #trial(slot: Slot, generation = this.#generation): Promise<Member> {
    const member = this.#fork(slot, generation, false);
    await member.ready;
    return member;
  }

  /**
   * Make a started worker its slot's own, to be replaced if it dies. One
   * that died since it was ready, or whose slot is gone or taken, is not.
   */
  #adopt(member: Member): void {
    member.pending = false;
    const { slot } = member;
    if (this.#closing !== undefined || !this.#slots.includes(slot) || (slot.current !== undefined && slot.current !== member)) {
      void this.#stop(member, 'drain');
      return;
    }
    if (member.gone) {
      this.#refill(slot, slot.backoff.next(Date.now() - member.startedAt));
      return;
    }
    member.respawn = true;
    slot.current = member;
  }

  #fork(slot: Slot, generation: number, respawn: boolean): Member {
    const settings = this.#settings;
    const jitter = settings.maxRequestsJitter > 0 ? Math.floor(Math.random() * (settings.maxRequestsJitter + 1)) : 0;
    const config: WorkerConfig = {
      ...settings.worker,
      port: settings.port,
      slot: slot.number,
      generation,
      maxRequests: settings.maxRequests > 0 ? settings.maxRequests + jitter : 0,
    };
    // Workers accept from the shared socket themselves, as gunicorn's do. In
    // Node's round-robin mode the primary accepts and hands each connection
    // over; one handed to a worker that dies at that moment is never closed,
    // and its client waits forever.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: WORKER_ENTRY, execArgv: [...settings.execArgv], args: [] });
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
    let markReady!: () => void;
    let markFailed!: (error: Error) => void;
    const ready = new Promise<void>((resolveReady, rejectReady) => {
      markReady = resolveReady;
      markFailed = rejectReady;
    });
    // Nobody may be waiting (a respawn): a failure is logged on exit instead.
    ready.catch(() => {});
    let markExited!: () => void;
    const exited = new Promise<void>((resolveExit) => (markExited = resolveExit));
    const now = Date.now();
    const member: Member = {
      worker,
      slot,
      generation,
      startedAt: now,
      state: 'starting',
      respawn,
      pending: true,
      gone: false,
      retiring: false,
      lastBeat: now,
      stoppingSince: 0,
      requests: 0,
      inFlight: 0,
      busy: 0,
      rss: 0,
      ready,
      exited,
      markReady,
      markFailed,
      killedFor: undefined,
    };
    this.#members.add(member);
    const startTimeout = Math.max(settings.timeout, MIN_START_TIMEOUT);
    const startTimer = setTimeout(() => {
      if (member.state !== 'starting') return;
      member.markFailed(new ContainerError(`a worker did not start within ${startTimeout} ms`));
      worker.process.kill('SIGKILL');
    }, startTimeout);
    startTimer.unref();
    void ready.finally(() => clearTimeout(startTimer)).catch(() => {});
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.#onMessage(member, message);
    });
    worker.on('error', () => {
      // An IPC write to a worker that just died: its exit tells the rest.
    });
    worker.on('exit', (code: number | null, signal: string | null) => {
      this.#onExit(member, code, signal);
      markExited();
    });
    return member;
  }

  #onMessage(member: Member, message: WorkerMessage): void {
    switch (message.t) {
      case 'ready':
        // A worker killed while it started may still have said so.
        if (member.state !== 'starting') return;
        member.state = 'ready';
        member.lastBeat = Date.now();
        member.markReady();
        return;
      case 'failed':
        member.markFailed(new ContainerError(message.message));
        return;
      case 'beat':
        member.lastBeat = Date.now();
        member.requests = message.requests;
        member.inFlight = message.inFlight;
        member.busy = message.busy;
        member.rss = message.rss;
        if (message.report !== undefined) {
          this.#reports.get(message.report)?.answered();
          this.#reports.delete(message.report);
        }
        if (this.#settings.maxRss > 0 && message.rss > this.#settings.maxRss) this.#retireSoon(member, `passed maxRss with ${Math.round(message.rss / 2 ** 20)} MiB resident`);
        return;
      case 'retire':
        this.#retireSoon(member, 'reached its request limit');
        return;
      case 'ran':
        this.#runs.get(message.id)?.settle(message.error === undefined ? undefined : new Error(message.error));
        this.#runs.delete(message.id);
    }
  }

  #onExit(member: Member, code: number | null, signal: string | null): void {
    member.gone = true;
    this.#members.delete(member);
    this.#counts.exitedRequests += member.requests;
    this.#counts.exitedBusy += member.busy;
    for (const [id, run] of this.#runs) {
      if (run.member !== member) continue;
      run.settle(new Error(`worker ${member.slot.number} exited during the run`));
      this.#runs.delete(id);
    }
    // Its figures are final now: nobody needs to wait out the bound for it.
    for (const [id, report] of this.#reports) {
      if (report.member !== member) continue;
      report.answered();
      this.#reports.delete(id);
    }
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    // Also when it was stopped while starting (a close): whoever waits for
    // it to be ready must not wait forever. A settled `ready` ignores this.
    member.markFailed(new ContainerError(`a worker ${how} before it was ready`));
    const { slot } = member;
    if (slot.current === member) slot.current = undefined;
    if (member.state === 'stopping' || !member.respawn || this.#closing !== undefined) return;

    // It was serving and nobody asked it to go: a crash, or killed as hung.
    this.#counts.restarts++;
    slot.restarts++;
    const delay = slot.backoff.next(Date.now() - member.startedAt);
    const why = member.killedFor === undefined ? how : `was killed: ${member.killedFor}`;
    this.#settings.log(
      `worker ${slot.number} (pid ${member.worker.process.pid}) ${why}; starting a new one${delay > 0 ? ` in ${delay} ms` : ''}`,
    );
    this.#refill(slot, delay);
  }

  /** {@link #retire} once, in turn with the other changes. */
  #retireSoon(member: Member, why: string): void {
    if (member.retiring || member.state !== 'ready' || member.slot.current !== member) return;
    member.retiring = true;
    void this.#serial(() => this.#retire(member, why));
  }

  /** Replace `member` with a new worker in its slot, then let it finish and exit. */
  async #retire(member: Member, why: string): Promise<void> {
    const { slot } = member;
    // A reload, a crash or scaling may have replaced it while this waited.
    if (member.state !== 'ready' || slot.current !== member || this.#closing !== undefined) return;
    let replacement: Member;
    try {
      replacement = await this.#trial(slot);
    } catch (error) {
      this.#settings.log(`worker ${slot.number} could not be replaced, it goes on serving: ${(error as Error).message}`);
      member.retiring = false;
      return;
    }
    if (slot.current !== member) {
      // It died meanwhile: the replacement takes the empty slot.
      this.#adopt(replacement);
      return;
    }
    slot.current = undefined;
    this.#adopt(replacement);
    this.#counts.retired++;
    this.#settings.log(`worker ${slot.number} (pid ${member.worker.process.pid}) ${why}: replaced`);
    // Its drain need not hold the next change up.
    void this.#stop(member, 'drain');
  }

  #stop(member: Member, how: 'drain' | 'stop'): Promise<void> {
    member.pending = false;
    if (member.state === 'stopping' || member.gone) return member.exited;
    const wasStarting = member.state === 'starting';
    member.state = 'stopping';
    member.stoppingSince = Date.now();
    if (member.slot.current === member) member.slot.current = undefined;
    if (wasStarting || !member.worker.isConnected()) member.worker.process.kill('SIGKILL');
    else member.worker.send({ t: how } satisfies PrimaryMessage);
    return member.exited;
  }

  #tick(): void {
    const now = Date.now();
    const { timeout, gracefulTimeout, heartbeatInterval } = this.#settings;
    // This process itself stalled (a suspend, a long synchronous task): the
    // workers' heartbeats are waiting unread, so silence proves nothing.
    const stalled = now - this.#lastTick > 3 * heartbeatInterval;
    this.#lastTick = now;
    for (const member of this.#members) {
      if (stalled) member.lastBeat = now;
      if (member.state === 'ready' && now - member.lastBeat > timeout) {
        member.killedFor = `its event loop was blocked for more than ${timeout} ms (timeout)`;
        member.worker.process.kill('SIGKILL');
      } else if (
        member.state === 'stopping' &&
        // Blocked (no heartbeat) or past its time: it will not finish by itself.
        (now - member.lastBeat > timeout || now - member.stoppingSince > gracefulTimeout + STOP_MARGIN)
      ) {
        member.worker.process.kill('SIGKILL');
      } else if (member.state === 'ready' && !member.pending && member.slot.current !== member) {
        // Nobody's worker: never expected, but never left serving old code either.
        void this.#stop(member, 'drain');
      }
    }
    this.#scale(now);
  }

  #scale(now: number): void {
    if (this.#scaler === undefined || this.#closing !== undefined) return;
    let busy = this.#counts.exitedBusy;
    let requests = this.#counts.exitedRequests;
    for (const member of this.#members) {
      busy += member.busy;
      requests += member.requests;
    }
    const serving = this.#slots.length;
    const decision = this.#scaler.sample(now, serving, busy, requests);
    if (decision === undefined || this.#scaling) return;
    this.#scaling = true;
    this.#serial(() => (decision === 'up' ? this.#scaleUp() : this.#scaleDown()))
      .catch((error: Error) => this.#settings.log(`idle scaling: ${error.message}`))
      .finally(() => (this.#scaling = false));
  }

  async #scaleUp(): Promise<void> {
    if (this.#closing !== undefined || this.#slots.length >= this.#settings.workers) return;
    const slot = newSlot(this.#slots.length + 1);
    this.#slots.push(slot);
    try {
      this.#adopt(await this.#trial(slot));
      this.#settings.log(`busy: added worker ${slot.number} of at most ${this.#settings.workers}`);
    } catch (error) {
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      throw error;
    }
  }

  async #scaleDown(): Promise<void> {
    if (this.#closing !== undefined || this.#slots.length <= this.#settings.minWorkers) return;
    const slot = this.#slots.pop()!;
    clearTimeout(slot.respawn);
    this.#settings.log(`idle: retiring worker ${slot.number}, ${this.#slots.length} left`);
    if (slot.current !== undefined) {
      this.#counts.retired++;
      void this.#stop(slot.current, 'drain');
    }
  }

  /** Run one scheduled task in a serving worker, taking turns. */
  #dispatch(cron: string, scheduledTime: number): Promise<void> {
    const serving = this.#slots.map((slot) => slot.current).filter((member) => member?.state === 'ready' && !member.retiring);
    const member = serving[this.#turn++ % Math.max(1, serving.length)];
    if (member === undefined) return Promise.reject(new Error('no worker is ready to run it'));
    const id = this.#nextRun++;
    return new Promise<void>((resolveRun, rejectRun) => {
      this.#runs.set(id, { member, settle: (error) => (error === undefined ? resolveRun() : rejectRun(error)) });
      member.worker.send({ t: 'run', id, cron, scheduledTime } satisfies PrimaryMessage);
    });
  }
}

function newSlot(number: number): Slot {
  return { number, restarts: 0, backoff: new Backoff(), current: undefined, respawn: undefined };
}

