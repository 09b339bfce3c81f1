import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, table } from './stats.ts';
import { killTree } from './proc.ts';
import { measure, type Run } from './server-cpu.ts';
import { wrk } from './wrk.ts';

/**
 * @gatehouse/edge served by @gatehouse/node against nginx (Debian's build),
 * as a reverse proxy to one origin and as a static file server.
 *
 * Pinning, on this 2-core machine: the server under test (the edge or
 * nginx) has CPU 0 to itself; wrk and the origin share CPU 1. The origin
 * could not get a core of its own without taking one from the server or
 * from wrk, and sharing wrk's core keeps the server under test alone on its
 * core, which is what the ratio is about. Both proxies face the same origin
 * on the same core, so neither is favoured; but when CPU 1 saturates before
 * CPU 0 does, the proxy figure is capped by the load side, not the server.
 * The "server CPU" column (the share of CPU 0 the server used, from
 * /proc/<pid>/stat) tells which: near 100 % means the server was the limit.
 * In the static scenarios the origin is idle and wrk has CPU 1 alone.
 *
 * The edge reaches the origin with `http1Transport` (so its proxied GETs
 * are answered from the request head, with no Request or Response); a
 * second edge with `undiciTransport` (Requests and Responses all the way)
 * is measured on the proxy scenario beside it.
 *
 * Another server, bare node:http with undici and no web objects, runs on
 * CPU 0 too: the most a Node edge built on these two could reach, so the
 * figures tell Node's and undici's share of the gap from the edge's own.
 * The edge's own HTTP/1.1 client costs less than undici, so its proxy may
 * pass that row.
 */

const SCENARIOS: readonly { name: string; path: string; goal: number; headers?: Record<string, string>; gzip?: true; body?: string }[] = [
  // Both buffer by default (the client's body read first, the answer read ahead), as here.
  { name: 'proxy (GET /)', path: '/', goal: 0.6 },
  // Both streaming: the edge's goal for buffering is to cost at most 10 % against this row (printed below).
  { name: 'proxy streamed', path: '/streamed/', goal: 0.6 },
  // A 16 KiB upload, read whole by the edge (and nginx) before the origin hears of it, and streamed.
  { name: 'proxy POST 16 KiB', path: '/', goal: 0.6, body: 'x'.repeat(16 * 1024) },
  { name: 'proxy POST 16 KiB streamed', path: '/streamed/', goal: 0.6, body: 'x'.repeat(16 * 1024) },
  // A 1 KiB page the origin lets caches keep, all hits after the warm-up: the edge's memory store against nginx's proxy_cache.
  { name: 'cache hit 1 KiB', path: '/cached/page', goal: 0.7 },
  { name: 'static 1 KiB', path: '/static/1k.txt', goal: 0.5 },
  { name: 'static 100 KiB', path: '/static/100k.txt', goal: 0.5 },
  // On-the-fly gzip of a 100 KiB text file: nginx's `gzip on` (level 1) against the edge wrapped in compress() (level 1).
  { name: 'gzip 100 KiB', path: '/static/100k.txt', goal: 0.8, headers: { 'Accept-Encoding': 'gzip' }, gzip: true },
];

const EDGE = '@gatehouse/edge on Node';
/** The same edge with undiciTransport to the origin: proxy only, the static rows would repeat the first. */
const EDGE_UNDICI = '… with undiciTransport';
const NGINX = 'nginx';
/** node:http and undici with no web objects: the ceiling of a Node edge on those two (servers/bare-node.ts). */
const BARE = 'bare node:http + undici';

export interface EdgeBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  serverCpu: number;
  loadCpu: number;
}

/** Make sure nginx is there; on a Debian machine where we are root, install it. */
export function ensureNginx(): void {
  if (has('nginx')) return;
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.log('nginx is missing: installing it from Debian…');
    execFileSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (has('nginx')) return;
  }
  throw new Error('The edge benchmark needs nginx (Debian: apt-get install nginx-light).');
}

function has(command: string): boolean {
  try {
    // nginx lives in /usr/sbin, which a non-root PATH may lack.
    execFileSync('sh', ['-c', `PATH="$PATH:/usr/sbin" command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function benchEdge(options: EdgeBenchOptions): Promise<void> {
  console.log(
    `\n## Edge against nginx: ${options.rounds} rounds × ${options.seconds} s, wrk -t1 -c${options.connections}, ` +
      `server on CPU ${options.serverCpu}, wrk and the origin on CPU ${options.loadCpu}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-edge-'));
  const running: ChildProcess[] = [];
  const stop = (): void => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
  };
  // Also when this process dies of an error: never leave nginx behind. (Ctrl-C reaches
  // the children anyway, through the terminal's process group.)
  process.once('exit', stop);
  try {
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', '1k.txt'), text(1024));
    writeFileSync(join(dir, 'static', '100k.txt'), text(100 * 1024));

    const originPort = 23000;
    const edgePort = 23001;
    const nginxPort = 23002;
    const barePort = 23004;
    const edgeUndiciPort = 23005;
    const edgeGzipPort = 23006;
    const nginxGzipPort = 23007;
    const origin = `http://127.0.0.1:${originPort}`;
    running.push(await startNode('origin.ts', [String(originPort)], options.loadCpu));
    const edge = await startNode('edge-node.ts', [String(edgePort), origin, dir], options.serverCpu);
    running.push(edge);
    const nginx = await startNginx(dir, nginxPort, originPort, options.serverCpu);
    running.push(nginx);
    const bare = await startNode('bare-node.ts', [String(barePort), origin, dir], options.serverCpu);
    running.push(bare);
    const edgeUndici = await startNode('edge-node.ts', [String(edgeUndiciPort), origin, dir, 'undici'], options.serverCpu);
    running.push(edgeUndici);
    const edgeGzip = await startNode('edge-node.ts', [String(edgeGzipPort), origin, dir, 'http1', 'gzip'], options.serverCpu);
    running.push(edgeGzip);
    const nginxGzip = await startNginx(join(dir, 'gzip'), nginxGzipPort, originPort, options.serverCpu, dir);
    running.push(nginxGzip);
    /** Which server stands for whom in the gzip row: the compressing ones. */
    const gzipPorts = new Map([[EDGE, { port: edgeGzipPort, pid: edgeGzip.pid! }], [NGINX, { port: nginxGzipPort, pid: nginxGzip.pid! }]]);
    const servers = [
      { name: EDGE, port: edgePort, pid: edge.pid!, proxyOnly: false },
      { name: EDGE_UNDICI, port: edgeUndiciPort, pid: edgeUndici.pid!, proxyOnly: true },
      { name: NGINX, port: nginxPort, pid: nginx.pid!, proxyOnly: false },
      { name: BARE, port: barePort, pid: bare.pid!, proxyOnly: false },
    ];

    const rows: string[][] = [];
    const goals: string[] = [];
    let nginxProxy = 0;
    // BENCH_EDGE_ROWS=cache measures only the rows whose name has that text (and skips workerd).
    const rowsWanted = process.env.BENCH_EDGE_ROWS;
    const scenarios = rowsWanted === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => scenario.name.includes(rowsWanted));
    for (const scenario of scenarios) {
      const runs = new Map<string, Run[]>();
      // Rounds alternate between the servers so that drift hits both alike.
      for (let round = 0; round < options.rounds; round++) {
        for (const server of servers) {
          if (server.proxyOnly && (scenario.path !== '/' || scenario.body !== undefined)) continue;
          if (server.name === BARE && (scenario.path === '/streamed/' || scenario.path.startsWith('/cached/') || scenario.body !== undefined)) continue;
          const gzipping = scenario.gzip === true ? gzipPorts.get(server.name) : undefined;
          if (scenario.gzip === true && gzipping === undefined) continue;
          const load = {
            url: `http://127.0.0.1:${gzipping?.port ?? server.port}${scenario.path}`,
            connections: options.connections,
            cpu: options.loadCpu,
            ...(scenario.headers === undefined ? {} : { headers: scenario.headers }),
            ...(scenario.body === undefined ? {} : { method: 'POST' as const, body: scenario.body, contentType: 'text/plain' }),
          };
          if (round === 0) {
            await wrk({ ...load, seconds: 1 }); // warm the JIT and the caches up
            // A cache row measures hits only: both caches must be answering from what they kept.
            if (scenario.path.startsWith('/cached/')) {
              const said = (await fetch(load.url)).headers.get('x-cache-status');
              if (said !== 'HIT') throw new Error(`${server.name} answered ${scenario.path} with X-Cache-Status ${said} after the warm-up, not HIT`);
            }
          }
          runs.set(server.name, [...(runs.get(server.name) ?? []), await measure(load, options.seconds, gzipping?.pid ?? server.pid)]);
        }
      }
      const summary = new Map(
        [...runs].map(([name, results]) => [
          name,
          {
            rps: median(results.map((r) => r.requestsPerSecond)),
            p99: median(results.map((r) => r.p99)),
            cpu: median(results.map((r) => r.cpu)),
          },
        ]),
      );
      const ours = summary.get(EDGE)!;
      const theirs = summary.get(NGINX)!;
      const ratio = ours.rps / theirs.rps;
      if (scenario.path === '/') nginxProxy = theirs.rps;
      for (const [name, r] of summary) {
        rows.push([
          scenario.name,
          name,
          r.rps.toFixed(0),
          `${r.p99.toFixed(2)} ms`,
          `${(r.cpu * 100).toFixed(0)} %`,
          `${((r.cpu / r.rps) * 1e6).toFixed(1)} µs`,
          name === NGINX ? '' : `${(r.rps / theirs.rps).toFixed(2)}×`,
        ]);
      }
      // Per CPU second: what the ratio would be were both servers the bottleneck.
      const perCpu = theirs.cpu / theirs.rps / (ours.cpu / ours.rps);
      const ceiling = summary.get(BARE);
      goals.push(
        `${scenario.name}: edge ÷ nginx ${ratio.toFixed(2)}×, goal ≥ ${scenario.goal}× — ${ratio >= scenario.goal ? 'MET' : 'NOT MET'}` +
          ` (per CPU second of the server: ${perCpu.toFixed(2)}×` +
          (ceiling === undefined ? ')' : `; bare node:http + undici: ${(ceiling.rps / theirs.rps).toFixed(2)}×, the edge reaches ${(ours.rps / ceiling.rps).toFixed(2)}× of it)`),
      );
    }
    console.log('\n### Edge on Node vs nginx (medians)\n');
    console.log(
      table(['scenario', 'server', 'req/s', 'p99', 'server CPU', 'CPU/req', '÷ nginx'], rows),
    );
    console.log('\n### Goals\n');
    for (const line of goals) console.log(line);
    for (const [bufferedRow, streamedRow] of [
      ['proxy (GET /)', 'proxy streamed'],
      ['proxy POST 16 KiB', 'proxy POST 16 KiB streamed'],
    ] as const) {
      const buffered = rows.find((row) => row[0] === bufferedRow && row[1] === EDGE);
      const streamed = rows.find((row) => row[0] === streamedRow && row[1] === EDGE);
      if (buffered === undefined || streamed === undefined) continue;
      const ratio = Number(buffered[2]) / Number(streamed[2]);
      // CPU per request tells the edge's own cost apart from the wait for the whole body, which the load side pays.
      const perCpu = Number.parseFloat(streamed[5]!) / Number.parseFloat(buffered[5]!);
      console.log(
        `buffering, ${bufferedRow}: the edge buffered (its default) ÷ streamed ${ratio.toFixed(2)}×, goal ≥ 0.9× — ${ratio >= 0.9 ? 'MET' : 'NOT MET'}` +
          ` (per CPU second of the edge: ${perCpu.toFixed(2)}×)`,
      );
    }
    if (rowsWanted === undefined) await benchWorkerd(options, origin, nginxProxy, running);
  } finally {
    stop();
    await Promise.all(
      running.map((child) =>
        child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve(),
      ),
    );
    process.removeListener('exit', stop);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same edge in workerd (miniflare, as `wrangler dev` runs it), proxy
 * only: the Workers build serves static files from the assets binding,
 * which has no local equivalent worth comparing with nginx.
 */
async function benchWorkerd(
  options: EdgeBenchOptions,
  origin: string,
  nginxProxy: number,
  running: ChildProcess[],
): Promise<void> {
  let child: ChildProcess;
  try {
    child = await startNode('edge-workerd.ts', ['23003', origin], options.serverCpu);
    running.push(child);
  } catch (error) {
    console.log(`\nworkerd-hosted edge, proxy: not measured (${(error as Error).message}).`);
    return;
  }
  try {
    const load = { url: 'http://127.0.0.1:23003/', connections: options.connections, cpu: options.loadCpu };
    await wrk({ ...load, seconds: 1 });
    const runs: Run[] = [];
    for (let round = 0; round < options.rounds; round++) runs.push(await measure(load, options.seconds, child.pid!));
    const rps = median(runs.map((r) => r.requestsPerSecond));
    const cpu = median(runs.map((r) => r.cpu));
    console.log('\n### Edge in workerd (miniflare), proxy (GET /), same origin (medians)\n');
    console.log(
      table(
        ['server', 'req/s', 'p99', 'server CPU', 'CPU/req', 'workerd ÷ nginx'],
        [
          [
            '@gatehouse/edge in workerd',
            rps.toFixed(0),
            `${median(runs.map((r) => r.p99)).toFixed(2)} ms`,
            `${(cpu * 100).toFixed(0)} %`,
            `${((cpu / rps) * 1e6).toFixed(1)} µs`,
            `${(rps / nginxProxy).toFixed(2)}×`,
          ],
        ],
      ),
    );
  } finally {
    // SIGTERM lets miniflare stop workerd; whatever is left after 3 s is killed.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 3000))]);
      killTree(child.pid!);
    }
  }
}

function text(size: number): string {
  const line = 'The quick brown fox jumps over the lazy dog, 0123456789.\n';
  return line.repeat(Math.ceil(size / line.length)).slice(0, size);
}

/**
 * nginx (one process, no master) on `port`, proxying to the origin and
 * serving `root`/static/ (`root` defaults to `dir`, where its own files
 * go); waits for `/static/1k.txt`. With a `root` of its own, it compresses
 * as `gzip on` does (level 1, nginx's default).
 */
export async function startNginx(dir: string, port: number, originPort: number, cpu: number, root = dir): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const gzip = root !== dir ? '\n  gzip on;\n  gzip_types text/plain;\n  gzip_min_length 20;' : '';
  const conf = join(dir, 'nginx.conf');
  // Tuned as a real deployment would be: sendfile and an open-file cache for
  // static files, keep-alive connections to the origin.
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=pages:10m max_size=64m inactive=60m use_temp_path=off;
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  types { text/plain txt; }
  default_type application/octet-stream;${gzip}
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  open_file_cache_errors on;
  # @gatehouse/node sets no limit on requests per connection; neither does nginx here.
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:${originPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location ^~ /static/ { }
    location /cached/ {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache pages;
      add_header X-Cache-Status $upstream_cache_status;
    }
    location /streamed/ {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const nginx = execFileSync('sh', ['-c', 'PATH="$PATH:/usr/sbin" command -v nginx'], { encoding: 'utf8' }).trim();
  const child = spawn('taskset', ['-c', String(cpu), nginx, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    let log = '';
    try {
      log = readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {}
    throw new Error(`nginx exited with ${code} before it was ready\n${log}`);
  });
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/static/1k.txt`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing answered on port ${port}`);
}

async function startNode(file: string, args: readonly string[], cpu: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, '--conditions=@gatehouse/source', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = once(lines, 'line');
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${file} exited with ${code} before it was ready`);
  });
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    killTree(child.pid!);
    throw error;
  }
  return child;
}
