import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { on, once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command, Reply } from './connection-client.ts';
import { killTree, childrenOf, openFileLimits, openFiles, rssKiB } from './proc.ts';
import { table } from './stats.ts';
import { NODE_SERVERS, OURS, RAW } from './node-servers.ts';

/**
 * What a held connection costs a server in memory: the RSS of real server
 * processes before and after thousands of clients connect over real
 * sockets on 127.0.0.1, divided by the number of clients. Servers on one
 * CPU, the clients (connection-client.ts, a process of their own) on the
 * other. Every server is a fresh process per reading: memory a process
 * freed stays in its RSS and would hide what the next connections cost.
 *
 * Garbage: before each reading a Node server is made to run a full
 * collection (--expose-gc, and servers/gc-on-signal.ts on SIGUSR2). Left
 * to itself V8 collects when its heuristics say so, so a reading would
 * count, by chance, some of the garbage the requests left, and swing from
 * run to run; after a full collection it counts what the connections hold,
 * plus what the allocators keep, which a server pays too. nginx frees a
 * connection's memory itself, so it is read as it is.
 */

// Every server of the Node HTTP part but the floor with backpressure, which holds a stream as the floor does.
const SSE_SERVERS = NODE_SERVERS.filter((server) => server.rows === undefined);
const fileOf = (name: string): string => NODE_SERVERS.find((server) => server.name === name)!.file;
const NGINX = 'nginx';

const PEER_STREAMS = 1_000;
// A thousand streams add some 30 MiB, in which a MiB more or less of the allocators' own
// shows as a KiB per stream: the median of three fresh processes, with their spread.
const PEER_ROUNDS = 3;
const MANY = 10_000;
// Before the "before" reading, a few rounds of a few connections of the kind measured, so that
// code run the first time (and compiled) is not charged to the connections; few at a time, so
// that little freed memory is there for the measured connections to reuse.
const WARMUP_ROUNDS = 5;
const WARMUP_CONNECTIONS = 20;
// Long enough for every SSE stream to have sent another event or two, and timers to have run.
const SETTLE_MS = 2_000;
// Node closes idle keep-alive connections after 5 s; these must outlive the reading.
const KEEP_ALIVE_MS = 3_600_000;
// Every step is bounded by this, from the start of the part.
const PART_MS = 20 * 60_000;

// Ports below Linux's ephemeral range; node-http.ts has 21000+, edge.ts 23000+.
const PEER_PORT = 22000;
const MANY_PORT = 22010;

const GC_PRELOAD = new URL('./servers/gc-on-signal.ts', import.meta.url).href;
const CLIENT = fileURLToPath(new URL('./connection-client.ts', import.meta.url));

export interface ConnectionsOptions {
  /** The node binary to start servers (and the clients) with. */
  node: string;
  serverCpu: number;
  loadCpu: number;
}

/** A server under test: the processes whose memory counts, and how to ask them to collect garbage. */
interface Target {
  name: string;
  port: number;
  pids(): number[];
  collect(): Promise<void>;
}

interface Reading {
  count: number;
  /** RSS in KiB. */
  before: number;
  after: number;
}

export async function benchConnections(options: ConnectionsOptions): Promise<void> {
  const nginx = execFileSync('sh', ['-c', 'PATH="$PATH:/usr/sbin" command -v nginx'], { encoding: 'utf8' }).trim();
  const nodeVersion = execFileSync(options.node, ['--version'], { encoding: 'utf8' }).trim();
  const nginxVersion = spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '');
  console.log(
    `\n## Cost per connection (Node ${nodeVersion}, ${nginxVersion}): server RSS per held connection over 127.0.0.1, ` +
      `server on CPU ${options.serverCpu}, clients on CPU ${options.loadCpu}`,
  );
  const deadline = Date.now() + PART_MS;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-connections-'));
  const running = new Set<ChildProcess>();
  const stop = (): void => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
  };
  // Also when this process dies of an error: never leave a server or ten thousand sockets behind.
  process.once('exit', stop);
  const node = { ...options, running, deadline };
  try {
    const clients = await startClients(options, running);

    // Rounds alternate between servers, so that drift hits all alike.
    const peers = new Map<string, Reading[]>();
    for (let round = 0; round < PEER_ROUNDS; round++) {
      for (const [i, server] of SSE_SERVERS.entries()) {
        const reading = await withServer(startNode(node, server.name, server.file, PEER_PORT + i, []), (target) =>
          measure(target, clients, { path: '/sse', wait: 'event', count: PEER_STREAMS }, deadline),
        );
        peers.set(server.name, [...(peers.get(server.name) ?? []), reading]);
      }
    }
    reportPeers(peers);

    // nginx holds two sockets per open stream, the client's and the origin's: room for
    // 25,000 files and connections where the hard limit on open files allows it (only a
    // privileged process may raise that); where it leaves no room for 2 × 10,000 and
    // nginx's own files, nginx holds as many streams as fit.
    const nofile = Math.min(25_000, openFileLimits().hard);
    const nginxStreams = Math.min(MANY, Math.floor((nofile - 100) / 200) * 100);
    const idle = { path: '/hello', wait: 'answer', count: MANY } as const;
    const streams = { path: '/sse', wait: 'event', count: MANY } as const;
    const keepAlive = String(KEEP_ALIVE_MS);
    const many = {
      idle: new Map<string, Reading>(),
      streams: new Map<string, Reading>(),
    };
    many.idle.set(OURS, await withServer(startNode(node, OURS, fileOf(OURS), MANY_PORT, ['0', keepAlive]), (t) => measure(t, clients, idle, deadline)));
    many.idle.set(RAW, await withServer(startNode(node, RAW, fileOf(RAW), MANY_PORT + 1, [keepAlive]), (t) => measure(t, clients, idle, deadline)));
    many.idle.set(NGINX, await withServer(startNginx(node, nginx, join(dir, 'idle'), MANY_PORT + 2, undefined, nofile), (t) => measure(t, clients, idle, deadline)));
    many.streams.set(OURS, await withServer(startNode(node, OURS, fileOf(OURS), MANY_PORT + 3, ['0', keepAlive]), (t) => measure(t, clients, streams, deadline)));
    many.streams.set(RAW, await withServer(startNode(node, RAW, fileOf(RAW), MANY_PORT + 4, [keepAlive]), (t) => measure(t, clients, streams, deadline)));
    // An open stream is where nginx naturally stands in front of Node: it proxies the
    // origin's stream (proxy_buffering off) and holds the client's connection. The
    // origin, raw node:http, runs on the clients' CPU and its memory is not counted.
    const origin = await startNode({ ...node, serverCpu: options.loadCpu }, 'origin (raw node:http)', fileOf(RAW), MANY_PORT + 6, []);
    try {
      many.streams.set(
        NGINX,
        await withServer(startNginx(node, nginx, join(dir, 'streams'), MANY_PORT + 5, MANY_PORT + 6, nofile), (t) =>
          measure(t, clients, { ...streams, count: nginxStreams }, deadline),
        ),
      );
    } finally {
      await origin.stop();
    }
    reportMany('(a) idle keep-alive connections (one GET /hello each, then idle)', many.idle);
    reportMany('(b) open SSE streams (nginx: proxying a raw node:http origin)', many.streams);
    if (nginxStreams < MANY) {
      console.log(
        `\nnginx held ${nginxStreams.toLocaleString('en')} streams, not ${MANY.toLocaleString('en')}: each takes two sockets ` +
          `(client and origin) and this machine caps open files at ${nofile.toLocaleString('en')} per process.`,
      );
    }
    console.log(
      '\nRSS: VmRSS from /proc, in MiB; nginx is its master and its one worker, summed (the master stays the same). ' +
        'Node servers: after a full garbage collection.',
    );
  } finally {
    stop();
    process.removeListener('exit', stop);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens and holds `load.count` connections to `target`, and reads its RSS before and after. */
async function measure(
  target: Target,
  clients: Clients,
  load: { path: string; wait: 'answer' | 'event'; count: number },
  deadline: number,
): Promise<Reading> {
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    await clients.ask({ type: 'open', port: target.port, path: load.path, count: WARMUP_CONNECTIONS, wait: load.wait }, deadline);
    await clients.ask({ type: 'close' }, deadline);
  }
  // Time for the server to hear of the closes and let go of the streams.
  await sleep(1_000);
  await target.collect();
  const before = rssKiB(target.pids());
  const filesBefore = openFiles(target.pids());

  await clients.ask({ type: 'open', port: target.port, path: load.path, count: load.count, wait: load.wait }, deadline);
  await sleep(SETTLE_MS);
  await target.collect();
  const after = rssKiB(target.pids());
  const held = openFiles(target.pids()) - filesBefore;
  const count = await clients.ask({ type: 'count' }, deadline);
  if (count.type !== 'count' || count.open !== load.count) {
    const lost = count.type === 'count' ? `${count.lost} of them were lost (${count.why})` : '';
    throw new Error(`${target.name}: the clients do not hold all ${load.count} connections: ${lost}`);
  }
  // Open on the server's side too, not only in the clients' eyes.
  if (held < load.count) throw new Error(`${target.name} holds ${held} sockets more than before, not the ${load.count} connections opened`);
  await clients.ask({ type: 'close' }, deadline);
  return { count: load.count, before, after };
}

function reportPeers(readings: Map<string, Reading[]>): void {
  const medians = new Map([...readings].map(([name, runs]) => [name, medianReading(runs)]));
  const ours = perConnection(medians.get(OURS)!);
  const rows = [...readings].map(([name, runs]) => {
    const reading = medians.get(name)!;
    const each = runs.map(perConnection);
    return [
      name,
      reading.count.toLocaleString('en'),
      mib(reading.before),
      mib(reading.after),
      perConnection(reading).toFixed(2),
      `${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)}`,
      `${(perConnection(reading) / ours).toFixed(2)}×`,
    ];
  });
  console.log(`\n### Server-sent events held open by ${PEER_STREAMS.toLocaleString('en')} clients, per peer (median of ${PEER_ROUNDS})\n`);
  console.log(table(['server', 'streams', 'RSS before', 'RSS after', 'KiB per stream', 'min–max', '÷ @gatehouse/node'], rows));
  const sorted = [...medians].sort(([, a], [, b]) => perConnection(a) - perConnection(b));
  const app = sorted.find(([name]) => name !== RAW)!;
  console.log(
    `\nLowest: ${sorted[0]![0]} (${perConnection(sorted[0]![1]).toFixed(2)} KiB per stream); ` +
      `of the servers that serve the App: ${app[0]} (${perConnection(app[1]).toFixed(2)} KiB).`,
  );
}

/** The reading whose cost per connection is the median (of an odd number of them). */
function medianReading(readings: readonly Reading[]): Reading {
  return [...readings].sort((a, b) => perConnection(a) - perConnection(b))[readings.length >> 1]!;
}

function reportMany(title: string, readings: Map<string, Reading>): void {
  const raw = perConnection(readings.get(RAW)!);
  const nginx = perConnection(readings.get(NGINX)!);
  const rows = [...readings].map(([name, reading]) => [
    name,
    reading.count.toLocaleString('en'),
    mib(reading.before),
    mib(reading.after),
    perConnection(reading).toFixed(2),
    `${(perConnection(reading) / raw).toFixed(2)}×`,
    `${(perConnection(reading) / nginx).toFixed(2)}×`,
  ]);
  console.log(`\n### ${title}\n`);
  console.log(table(['server', 'connections', 'RSS before', 'RSS after', 'KiB per connection', '÷ raw node', '÷ nginx'], rows));
}

function perConnection(reading: Reading): number {
  return (reading.after - reading.before) / reading.count;
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

interface Clients {
  ask(command: Command, deadline: number): Promise<Reply>;
}

/** The client process, pinned to the load CPU, and a way to ask it one thing at a time. */
async function startClients(options: ConnectionsOptions, running: Set<ChildProcess>): Promise<Clients> {
  const child = spawn('taskset', ['-c', String(options.loadCpu), options.node, CLIENT], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(child);
  await once(child, 'spawn');
  const exited = once(child, 'exit').then(([code, signal]): never => {
    throw new Error(`the client process exited (${code ?? signal})`);
  });
  // Killed at the end, with nothing asked of it then.
  exited.catch(() => {});
  return {
    async ask(command, deadline) {
      const reply = once(child, 'message').then(([message]) => message as Reply);
      child.send(command);
      const result = await within(Promise.race([reply, exited]), deadline, `the clients' "${command.type}"`);
      if (result.type === 'error') throw new Error(`clients: ${result.message}`);
      return result;
    },
  };
}

interface Started extends Target {
  stop(): Promise<void>;
}

/** Starts a server, runs `work` against it, and stops it whatever happens. */
async function withServer<T>(starting: Promise<Started>, work: (target: Target) => Promise<T>): Promise<T> {
  const server = await starting;
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

interface Spawning {
  serverCpu: number;
  node: string;
  running: Set<ChildProcess>;
  deadline: number;
}

/** A Node server from servers/, run so that it collects its garbage when asked; its arguments: the port, then `args`. */
async function startNode(options: Spawning, name: string, file: string, port: number, args: readonly string[]): Promise<Started> {
  const script = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
  const child = spawn(
    'taskset',
    ['-c', String(options.serverCpu), options.node, '--expose-gc', '--import', GC_PRELOAD, '--conditions=@gatehouse/source', script, String(port), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  options.running.add(child);
  const lines = createInterface({ input: child.stdout! });
  const stop = async (): Promise<void> => {
    await end(child);
    options.running.delete(child);
  };
  try {
    if (!(await lineFrom(lines, 'ready', 30_000, options.deadline))) throw new Error(`${name} (${file}) did not start`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name,
    port,
    pids: () => [child.pid!],
    async collect() {
      const collected = lineFrom(lines, 'collected', 10_000, options.deadline);
      process.kill(child.pid!, 'SIGUSR2');
      if (!(await collected)) throw new Error(`${name} did not collect its garbage`);
      // The collector's helper threads finish sweeping and hand pages back a little later.
      await sleep(500);
    },
    stop,
  };
}

/**
 * nginx as a deployment runs it, a master and one worker, on `port`:
 * `/hello` answered from the config, `/sse` proxied to `originPort`.
 */
async function startNginx(
  options: Spawning,
  nginx: string,
  dir: string,
  port: number,
  originPort: number | undefined,
  nofile: number,
): Promise<Started> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  const sse =
    originPort === undefined
      ? ''
      : `
    location = /sse {
      proxy_pass http://127.0.0.1:${originPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }`;
  writeFileSync(
    conf,
    `worker_processes 1;
worker_rlimit_nofile ${nofile};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
# Client and origin connections alike count here. Well above the 2 × 10,000 sockets:
# with less than a sixteenth free, nginx closes connections still waiting for their
# request to reuse them ("worker_connections are not enough"), which resets clients.
# (It may exceed the open-file limit, as nginx warns: the files run out first.) The
# table is allocated at start, so it is in the "before" reading.
events { worker_connections 25000; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  # As long as Node's here: the connections must outlive the reading.
  keepalive_timeout ${KEEP_ALIVE_MS / 1000}s;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location = /hello {
      default_type text/plain;
      return 200 "Hello, World!";
    }${sse}
  }
}
`,
  );
  const child = spawn('taskset', ['-c', String(options.serverCpu), nginx, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  options.running.add(child);
  // Kept for an error: at start nginx warns of the worker_connections above the open-file limit, as expected.
  let warnings = '';
  child.stderr!.on('data', (chunk: Buffer) => (warnings += chunk.toString()));
  const stop = async (): Promise<void> => {
    await end(child);
    options.running.delete(child);
  };
  try {
    await waitForHello(child, port, join(dir, 'error.log'), () => warnings);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: NGINX,
    port,
    pids: () => [child.pid!, ...childrenOf(child.pid!)],
    async collect() {
      await sleep(500);
    },
    stop,
  };
}

async function waitForHello(child: ChildProcess, port: number, log: string, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    // A connection of its own that closes, so that none of the bench's lingers in the server.
    const ok = await new Promise<boolean>((resolve) => {
      get({ host: '127.0.0.1', port, path: '/hello', agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  let errors = stderr();
  try {
    errors += readFileSync(log, 'utf8');
  } catch {}
  throw new Error(`nginx did not answer on port ${port}\n${errors}`);
}

/** Kills a child (and its children) and waits until it is gone. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  killTree(child.pid!);
  await exited;
}

/** Whether `text` comes as a line within `ms` (false when it does not, or the stream ends). */
async function lineFrom(lines: Interface, text: string, ms: number, deadline: number): Promise<boolean> {
  const signal = AbortSignal.timeout(Math.max(0, Math.min(ms, deadline - Date.now())));
  try {
    for await (const [line] of on(lines, 'line', { signal, close: ['close'] })) if (line === text) return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
  return false;
}

function within<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within the part's ${PART_MS / 60_000} minutes`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
