// The import, checked against nginx itself: each real-world config runs in
// Debian's nginx, its translation runs as an edge on Node, and the same
// requests go to both. Status, the route that answered (which origin, or
// which file) and the body must agree on every route the import translated.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { App } from '@gatehouse/core';
import { serve } from '@gatehouse/node';
import { freePort } from '@gatehouse/test-support/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeSource } from './edge-source.ts';
import { readNginxConfig } from './nginx-config.ts';
import { translateNginx } from './translate.ts';

const FIXTURES = fileURLToPath(new URL('../../test/nginx-import/', import.meta.url));
// The translations are written inside the package, so that their imports resolve as a user's would.
const GENERATED = fileURLToPath(new URL('../../.nginx-import-test/', import.meta.url));
/** Fixtures not run side by side: their translations are only type-checked (and read by translate.test.ts). */
const TRANSLATED_ONLY = ['cache-and-buffering'];

interface Exchange {
  readonly method?: string;
  readonly path: string;
  readonly host: string;
  readonly body?: string;
  /** A Content-Length sent with no body after it: the answer must come from the head. */
  readonly declaredLength?: number;
  readonly acceptEncoding?: string;
}

/** What the origins below answer: their name, the method and the path. */
const ORIGIN_ANSWER = /^\w+ [A-Z]+ \//;

interface Answer {
  readonly status: number;
  readonly body: string;
  /** A redirect's target path: nginx makes it absolute, with its own port. */
  readonly location?: string;
  /** The add_header fields of the configs, on answers below 400 (nginx adds them to no others without `always`). */
  readonly added?: string;
  /** Content-Encoding, when there is one: the body is compared decoded. */
  readonly encoding?: string;
  /** X-Cache-Status, when there is one: what the cache did. */
  readonly cache?: string;
}

/** An origin that says who it is and what it got: the body shows the route taken. On a unix socket with `socket`. */
async function origin(name: string, socket?: string): Promise<Server> {
  const server = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => res.end(`${name} ${req.method} ${req.url} host=${req.headers.host} body=${length}`));
  });
  if (socket === undefined) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  else {
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    // nginx's workers (nobody) connect to it too.
    chmodSync(socket, 0o777);
  }
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

function send(port: number, exchange: Exchange, tls = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      method: exchange.method ?? 'GET',
      path: exchange.path,
      headers: {
        host: exchange.host,
        ...(exchange.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(exchange.body)) }),
        ...(exchange.declaredLength === undefined ? {} : { 'content-length': String(exchange.declaredLength) }),
        ...(exchange.acceptEncoding === undefined ? {} : { 'accept-encoding': exchange.acceptEncoding }),
      },
      agent: false,
    };
    const req = tls ? httpsRequest({ ...options, rejectUnauthorized: false, servername: exchange.host }) : httpRequest(options);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const location = res.headers.location;
        const encoding = res.headers['content-encoding'];
        const cache = res.headers['x-cache-status'];
        const raw = Buffer.concat(chunks);
        const body = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString();
        const status = res.statusCode!;
        // Redirects and the servers' own error pages say the same in other words; an origin's answer is compared whole.
        const own = (status >= 300 && status < 400) || (status >= 400 && !ORIGIN_ANSWER.test(body));
        resolve({
          status,
          body: own ? '' : body,
          ...(location === undefined ? {} : { location: new URL(location, 'http://x').pathname }),
          ...(status < 400 && res.headers['x-frame-options'] !== undefined ? { added: `${res.headers['x-frame-options']} ${res.headers['x-content-type-options']}` } : {}),
          ...(encoding === undefined ? {} : { encoding }),
          ...(cache === undefined ? {} : { cache: String(cache) }),
        });
        req.destroy();
      });
    });
    req.on('error', (error) => (exchange.declaredLength === undefined ? reject(error) : undefined));
    if (exchange.declaredLength === undefined) req.end(exchange.body);
    else req.flushHeaders();
  });
}

async function listening(port: number, nginx: ChildProcess, log: () => string): Promise<void> {
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Case {
  readonly name: string;
  /** The exchanges on routes the import translated. */
  readonly exchanges: readonly Exchange[];
  /** Put this machine's ports and folders in place of the config's. */
  readonly adapt: (config: string, dir: string, ports: Ports) => string;
  readonly files: Readonly<Record<string, string>>;
  readonly origins: readonly string[];
  /** Origins listening on a unix socket in the test's folder, by name. */
  readonly socketOrigins?: readonly string[];
  readonly tls?: boolean;
}

interface Ports {
  readonly nginx: number;
  readonly nginxTls: number;
  readonly origins: Readonly<Record<string, number>>;
}

/**
 * One config, side by side: nginx on its own port, the edge from its
 * translation on another, the same origins behind both.
 */
function sideBySide(test: Case): {
  compare: (exchanges?: readonly Exchange[]) => Promise<Answer[]>;
  both: (exchange: Exchange) => Promise<{ nginx: Answer; edge: Answer }>;
  origins: Map<string, Server>;
  generated: () => string;
} {
  const origins = new Map<string, Server>();
  let dir = '';
  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  let edge: (App & { close(): Promise<void> }) | undefined;
  let edgeServer: Awaited<ReturnType<typeof serve>> | undefined;
  let ports: Ports;
  let source = '';

  beforeAll(async () => {
    try {
      execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    } catch {
      throw new Error('these tests run Debian\'s nginx, which is not installed here: apt-get install nginx-light');
    }
    dir = mkdtempSync(join(tmpdir(), `gatehouse-nginx-${test.name}-`));
    // nginx's workers run as nobody where the config says `user`: they must read the files.
    chmodSync(dir, 0o755);
    for (const name of test.origins) origins.set(name, await origin(name));
    for (const name of test.socketOrigins ?? []) origins.set(name, await origin(name, join(dir, `${name}.sock`)));
    ports = {
      nginx: await freePort(),
      nginxTls: await freePort(),
      origins: Object.fromEntries([...origins].filter(([name]) => test.origins.includes(name)).map(([name, server]) => [name, portOf(server)])),
    };
    for (const [path, content] of Object.entries(test.files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    for (const file of readdirSync(join(FIXTURES, test.name))) copyFileSync(join(FIXTURES, test.name, file), join(dir, file));
    if (test.tls === true) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    }
    const config = join(dir, 'nginx.conf');
    writeFileSync(config, test.adapt(readFileSync(config, 'utf8'), dir, ports));

    source = edgeSource(translateNginx(readNginxConfig(config)), 'nginx.conf', dir);
    const generated = join(GENERATED, test.name);
    mkdirSync(generated, { recursive: true });
    writeFileSync(join(generated, 'edge.ts'), source);
    edge = ((await import(pathToFileURL(join(generated, 'edge.ts')).href)) as { default: App & { close(): Promise<void> } }).default;
    edgeServer = await serve(edge, { port: 0, hostname: '127.0.0.1' });

    nginx = spawn('nginx', ['-p', dir, '-c', config, '-g', `daemon off; error_log ${join(dir, 'nginx-stderr.log')};`], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (chunk: Buffer) => (nginxLog += chunk.toString()));
    await listening(test.tls === true ? ports.nginxTls : ports.nginx, nginx, () => nginxLog);
  }, 30_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    await edgeServer?.close();
    await edge?.close();
    for (const server of origins.values()) server.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** One exchange with nginx, then with the edge. */
  const both = async (exchange: Exchange): Promise<{ nginx: Answer; edge: Answer }> => {
    const nginxAnswer = await send(test.tls === true ? ports.nginxTls : ports.nginx, exchange, test.tls === true);
    return { nginx: nginxAnswer, edge: await send(edgeServer!.port, exchange) };
  };
  /** Each exchange with both; the answers, once they agree. */
  const compare = async (exchanges: readonly Exchange[] = test.exchanges): Promise<Answer[]> => {
    const answers: Answer[] = [];
    for (const exchange of exchanges) {
      const { nginx: fromNginx, edge: fromEdge } = await both(exchange);
      expect({ exchange, answer: fromEdge }).toEqual({ exchange, answer: fromNginx });
      answers.push(fromNginx);
    }
    return answers;
  };
  return { compare, both, origins, generated: () => source };
}

/** `listen 80` (and `[::]:80`) on this machine's port, 443 on the TLS one. */
function listenOn(config: string, ports: Ports): string {
  return config
    .replace(/^\s*listen\s+\[::\]:\d+.*;\n/gm, '')
    .replace(/listen\s+443 ssl/g, `listen 127.0.0.1:${ports.nginxTls} ssl`)
    .replace(/listen\s+80\b/g, `listen 127.0.0.1:${ports.nginx}`);
}

describe('gunicorn\'s documented nginx config, its app on a unix socket', () => {
  const { compare, origins, generated } = sideBySide({
    name: 'gunicorn',
    origins: [],
    socketOrigins: ['gunicorn'],
    files: {
      'public/index.html': '<h1>home</h1>',
      'public/style.css': 'body { color: teal }',
      'public/500.html': '<h1>sorry</h1>',
      'public/images/logo.gif': 'GIF89a',
    },
    adapt: (config, dir, ports) =>
      listenOn(config, ports)
        .replace('unix:/tmp/gunicorn.sock', `unix:${join(dir, 'gunicorn.sock')}`)
        .replaceAll('/path/to/app/current/public', join(dir, 'public'))
        .replace('/tmp/nginx.pid', join(dir, 'nginx.pid'))
        .replace('/tmp/nginx.error.log', join(dir, 'error.log'))
        .replace('/tmp/nginx.access.log', join(dir, 'access.log')),
    exchanges: [
      { path: '/', host: 'example.com' },
      { path: '/style.css', host: 'example.com' },
      { path: '/style.css?v=2', host: 'www.example.com' },
      { path: '/images/logo.gif', host: 'example.com' },
      { path: '/500.html', host: 'example.com' },
      { path: '/accounts/login/?next=/', host: 'example.com' },
      { path: '/images', host: 'example.com' },
      { path: '/missing.css', host: 'www.example.com' },
      { method: 'POST', path: '/accounts/login/', host: 'example.com', body: 'user=a&password=b' },
      { method: 'DELETE', path: '/api/items/7', host: 'example.com' },
    ],
  });

  it('answers as nginx does: files from root, the rest from gunicorn with the client\'s Host', async () => {
    await compare();
    expect(generated().replace(/\s+/g, ' ')).toContain("tryFiles: { pool: 'app_server', host: 'client', index: [], directoryRedirect: false, }");
    expect(generated()).toMatch(/url: 'http:\/\/app_server',\n\s+socket: '[^']*\/gunicorn\.sock',/);
  });

  it('still answers as nginx does once gunicorn is gone: files, and 502 for the rest', async () => {
    const server = origins.get('gunicorn')!;
    await new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    // nginx's error_page sends its 500.html with the 502, which the edge does not (listed as not translated).
    const answers = await compare([
      { path: '/style.css', host: 'example.com' },
      { path: '/500.html', host: 'example.com' },
      { path: '/accounts/login/', host: 'example.com' },
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 502]);
  });
});

describe("nginx's documented location examples", () => {
  const { compare, generated } = sideBySide({
    name: 'nginx-docs',
    origins: ['user', 'login'],
    files: {
      'www/index.html': 'the index',
      'www/logo.gif': 'GIF89a-logo',
      'www/pics/a.PNG': 'PNG-a',
      'www/docs/index.html': 'docs index',
    },
    adapt: (config, dir, ports) =>
      listenOn(config, ports)
        .replace('http://user.example.com', `http://127.0.0.1:${ports.origins.user}`)
        .replace('http://login.example.com', `http://127.0.0.1:${ports.origins.login}`)
        .replace('root        /data/www;', `root        ${join(dir, 'www')};`),
    exchanges: [
      // The examples the page gives for its five locations.
      { path: '/', host: 'docs.example' },
      { path: '/index.html', host: 'docs.example' },
      { path: '/documents/document.html', host: 'docs.example' },
      { path: '/images/1.gif', host: 'docs.example' },
      { path: '/documents/1.jpg', host: 'docs.example' },
      { path: '/DOCUMENTS/2.JPEG', host: 'docs.example' },
      // "/user" goes to login, "/user/" and below to user.
      { path: '/user', host: 'docs.example' },
      { path: '/user/', host: 'docs.example' },
      { path: '/user/profile?tab=2', host: 'docs.example' },
      { method: 'POST', path: '/user/save', host: 'docs.example', body: '{"a":1}' },
      // No client_max_body_size: nginx's 1m holds, and the edge was given it.
      { method: 'POST', path: '/user/save', host: 'docs.example', declaredLength: 1024 * 1024 + 1 },
      // The simple PHP site, without its PHP.
      { path: '/', host: 'example.org' },
      { path: '/logo.gif', host: 'www.example.org' },
      { path: '/pics/a.PNG', host: 'example.org' },
      { path: '/docs', host: 'example.org' },
      { path: '/docs/', host: 'example.org' },
      { path: '/nothing.html', host: 'example.org' },
    ],
  });

  it('chooses the same location for every example request', async () => {
    const answers = await compare();
    expect(answers.filter((answer) => answer.status === 413)).toHaveLength(1);
    expect(generated()).toContain("'~* \\\\.(gif|jpg|jpeg)$'");
    expect(generated()).toMatch(/location ~ \\\.php\$ \{ … \}\n\/\/ {5}the edge proxies HTTP only/);
  });
});

describe('a Django + gunicorn production config', () => {
  const { compare, origins, generated } = sideBySide({
    name: 'django',
    tls: true,
    origins: ['primary', 'backup'],
    files: {
      'mysite/staticfiles/admin/css/base.css': '.admin { }',
      'mysite/staticfiles/app.3f2a9c1b.js': 'console.log(1)',
      'mysite/staticfiles/site.css': 'body { margin: 0; color: #222; }\n'.repeat(100),
      'mysite/media/2026/avatar.png': 'PNG-avatar',
    },
    adapt: (config, dir, ports) =>
      listenOn(config, ports)
        .replace('127.0.0.1:8000', `127.0.0.1:${ports.origins.primary}`)
        .replace('127.0.0.1:8001', `127.0.0.1:${ports.origins.backup}`)
        .replaceAll('/srv/mysite', join(dir, 'mysite'))
        .replace('/etc/letsencrypt/live/example.com/fullchain.pem', join(dir, 'cert.pem'))
        .replace('/etc/letsencrypt/live/example.com/privkey.pem', join(dir, 'key.pem'))
        .replace('/run/nginx.pid', join(dir, 'nginx.pid'))
        .replaceAll('/var/log/nginx/', `${dir}/`)
        .replace('user www-data;', 'user nobody nogroup;'),
    exchanges: [
      { path: '/static/admin/css/base.css', host: 'example.com' },
      { path: '/static/app.3f2a9c1b.js', host: 'www.example.com' },
      { path: '/static/missing.js', host: 'example.com' },
      { path: '/media/2026/avatar.png', host: 'example.com' },
      { path: '/media/2025/none.png', host: 'example.com' },
      { path: '/', host: 'example.com' },
      { path: '/admin/login/?next=/admin/', host: 'example.com' },
      { method: 'POST', path: '/api/orders/', host: 'example.com', body: '{"qty":2}' },
      { method: 'PUT', path: '/static-page', host: 'www.example.com', body: 'x' },
      // client_max_body_size 20M.
      { method: 'POST', path: '/api/upload/', host: 'example.com', declaredLength: 20 * 1024 * 1024 + 1 },
      { method: 'POST', path: '/api/upload/', host: 'example.com', body: 'x'.repeat(2 * 1024 * 1024) },
      // allow 10.0.0.0/8; deny all; and this client is 127.0.0.1.
      { path: '/admin/', host: 'example.com' },
      // gzip on, for the types gzip_types lists: the CSS compressed by both, the origin's text/plain by neither.
      { path: '/static/site.css', host: 'example.com', acceptEncoding: 'gzip, br' },
      { path: '/', host: 'example.com', acceptEncoding: 'gzip' },
    ],
  });

  it('answers as nginx does: static and media from disk, the rest from the primary server, its limits and access rules kept', async () => {
    const answers = await compare();
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 200, 404, 200, 403, 200, 200, 413, 200, 403, 200, 200]);
    expect(answers.map((answer) => answer.encoding ?? '-').slice(-2)).toEqual(['gzip', '-']);
    expect(answers[0]!.added).toBe('SAMEORIGIN nosniff');
    expect(generated()).toContain("{ url: 'http://127.0.0.1:");
  });

  it('fails over to the backup server as nginx does once the primary is gone', async () => {
    const primary = origins.get('primary')!;
    await new Promise((resolve) => primary.close(resolve));
    primary.closeAllConnections();
    const answers = await compare([
      { path: '/', host: 'example.com' },
      { method: 'POST', path: '/api/orders/', host: 'example.com', body: '{"qty":3}' },
      { path: '/static/admin/css/base.css', host: 'example.com' },
    ]);
    expect(answers.map((answer) => answer.body)).toEqual(['backup GET / host=example.com body=0', 'backup POST /api/orders/ host=example.com body=9', '.admin { }']);
  });
});

/**
 * Just past the start of a second. The origins' Date has whole seconds and
 * nginx counts a time in whole seconds too: started here, a page kept for
 * 1s is fresh for most of the second in the edge (which takes its age from
 * Date) and until the end of the next one in nginx.
 */
async function startOfSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

describe('micro-caching in front of an app', () => {
  const { compare, both, generated } = sideBySide({
    name: 'micro-cache',
    origins: ['app'],
    files: {},
    adapt: (config, dir, ports) =>
      listenOn(config, ports)
        .replace('127.0.0.1:8000', `127.0.0.1:${ports.origins.app}`)
        .replace('/var/cache/nginx/micro', join(dir, 'micro'))
        .replace('/run/nginx.pid', join(dir, 'nginx.pid'))
        .replace('user www-data;', 'user nobody nogroup;'),
    exchanges: [
      { path: '/', host: 'example.com' },
      { path: '/', host: 'example.com' },
      { path: '/articles/7?page=2', host: 'example.com' },
      { method: 'HEAD', path: '/articles/7?page=2', host: 'example.com' },
      { path: '/articles/7?page=2', host: 'example.com' },
      // Neither kept nor held back.
      { path: '/events/stream', host: 'example.com' },
      { path: '/events/stream', host: 'example.com' },
    ],
  });

  it('keeps a page for a second and says so in X-Cache-Status, as nginx does', async () => {
    await startOfSecond();
    const answers = await compare();
    expect(answers.map((answer) => answer.cache ?? '-')).toEqual(['MISS', 'HIT', 'MISS', 'HIT', 'HIT', '-', '-']);
    expect(generated()).toContain('const micro = memoryCacheStore({ maxBytes: 104857600 });');
    expect(generated().replace(/\s+/g, ' ')).toContain(
      "cache: { store: micro, // proxy_cache_valid 200 1s; (nginx.conf:30) ttl: { 200: 1 }, // proxy_cache_path",
    );
    expect(generated()).toMatch(/\/\/ proxy_buffering off; \(nginx\.conf:45\)\n\s+buffering: \{ response: 0 \},/);
  });

  it('differs where the edge means to: a stale page is answered at once while it is refreshed behind, and a POST is marked BYPASS', async () => {
    await startOfSecond();
    await compare([{ path: '/news', host: 'example.com' }]);
    // Stale for both now: nginx has the first request fetch the page (EXPIRED), the edge answers it stale at once and refreshes it (UPDATING).
    await startOfSecond();
    await startOfSecond();
    const expired = await both({ path: '/news', host: 'example.com' });
    expect([expired.nginx.cache, expired.edge.cache]).toEqual(['EXPIRED', 'UPDATING']);
    expect(expired.edge.body).toBe(expired.nginx.body);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await compare([{ path: '/news', host: 'example.com' }]))[0]!.cache).toBe('HIT');
    // nginx leaves $upstream_cache_status empty for what it never caches, so adds no field.
    const post = await both({ method: 'POST', path: '/news', host: 'example.com', body: 'a=1' });
    expect(post.edge).toEqual({ ...post.nginx, cache: 'BYPASS' });
  }, 10_000);
});

it('writes translations that type-check', async () => {
  // Runs after the four above, which wrote their translations; the fixtures translated only for their translation's sake are written here.
  for (const name of TRANSLATED_ONLY) {
    const config = join(FIXTURES, name, 'nginx.conf');
    mkdirSync(join(GENERATED, name), { recursive: true });
    writeFileSync(join(GENERATED, name, 'edge.ts'), edgeSource(translateNginx(readNginxConfig(config)), 'nginx.conf', join(FIXTURES, name)));
    // defineEdge takes it as it is: the checks types cannot make (a cache's settings, the buffering bounds) pass when it loads.
    const edge = ((await import(pathToFileURL(join(GENERATED, name, 'edge.ts')).href)) as { default: App & { close(): Promise<void> } }).default;
    await edge.close();
  }
  writeFileSync(
    join(GENERATED, 'tsconfig.json'),
    JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true, declaration: false, isolatedDeclarations: false }, include: ['*/edge.ts'] }),
  );
  expect(readdirSync(GENERATED).filter((name) => name !== 'tsconfig.json').sort()).toEqual(['cache-and-buffering', 'django', 'gunicorn', 'micro-cache', 'nginx-docs']);
  const tsc = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));
  expect(() => execFileSync(process.execPath, [tsc, '-p', join(GENERATED, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
}, 120_000);
