import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readNginxConfig } from './nginx-config.ts';
import { type EdgePlan, translateNginx } from './translate.ts';

const GUNICORN = fileURLToPath(new URL('../../test/nginx-import/gunicorn/nginx.conf', import.meta.url));
const BIN = fileURLToPath(new URL('../bin.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function translate(text: string): EdgePlan {
  const file = join(scratch, `${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  return translateNginx(readNginxConfig(file));
}

const lostOf = (plan: EdgePlan): string[] => plan.skipped.filter((skip) => skip.lost).map((skip) => `${skip.directive.line} ${skip.directive.name}`);
const routesOf = (plan: EdgePlan, site = 0): Record<string, unknown> => Object.fromEntries(plan.sites[site]!.routes.map((route) => [route.key, route.action]));

describe("gunicorn's example as its documentation gives it", () => {
  const plan = translateNginx(readNginxConfig(GUNICORN));

  it('translates the site, its body limit, its access log and its unix-socket upstream, and lists the two lines it cannot translate', () => {
    expect(lostOf(plan)).toEqual(['33 server', '69 error_page']);
    expect(plan.accessLog).toMatchObject({ file: '/tmp/nginx.access.log' });
    expect(plan.sites[0]!.rules).toMatchObject({ maxBodySize: 4 * 1024 ** 3 });
    // The http level sets none: nginx's 1m.
    expect(plan.rules.maxBodySize).toBe(1024 * 1024);
    expect(plan.skipped.find((skip) => skip.directive.line === 33)!.why).toMatch(/return 444/);
    expect(plan.pools).toMatchObject([{ name: 'app_server', servers: [{ url: 'http://app_server', socket: '/tmp/gunicorn.sock', failTimeout: 0 }] }]);
    expect(routesOf(plan)).toEqual({
      // try_files $uri @proxy_to_app: files only (no index, no redirect to a folder's slash), else the app with the client's Host.
      '/': { tryFiles: { folder: '/path/to/app/current/public', index: [], directoryRedirect: false, pool: 'app_server', host: 'client' } },
      '= /500.html': { static: { folder: '/path/to/app/current/public' } },
    });
  });

  it('says what it left out with nothing lost, nginx\'s own settings among them', () => {
    const done = plan.skipped.filter((skip) => !skip.lost).map((skip) => skip.directive.name);
    expect(done).toEqual(expect.arrayContaining(['worker_processes', 'user', 'pid', 'events', 'sendfile', 'keepalive_timeout', 'types']));
  });
});

describe('upstream blocks', () => {
  it('keeps weights, failure counts, backups and the balancing method; leaves out what it cannot reach', () => {
    const plan = translate(`http {
      upstream app {
        least_conn;
        server 10.0.0.1:8000 weight=3 max_fails=2 fail_timeout=5s;
        server 10.0.0.2 down;
        server 10.0.0.3:8000 backup;
        server 10.0.0.4:8000 max_conns=10;
        keepalive 32;
      }
      upstream sticky { hash $cookie_sessionid consistent; server 10.0.1.1:80; }
      upstream byip { ip_hash; server 10.0.2.1:80; }
      upstream unused { server 10.0.3.1:80; }
      server {
        server_name _;
        location /a/ { proxy_pass http://app; proxy_connect_timeout 3s; proxy_read_timeout 2m; proxy_next_upstream error timeout http_502; }
        location /b/ { proxy_pass https://sticky; }
        location /c/ { proxy_pass http://byip; }
      }
    }`);
    expect(plan.pools).toMatchObject([
      {
        name: 'app',
        balance: 'least-in-flight',
        servers: [{ url: 'http://10.0.0.1:8000', weight: 3, maxFails: 2, failTimeout: 5000 }, { url: 'http://10.0.0.3:8000', backup: true }],
        connectTimeout: 3000,
        responseTimeout: 120_000,
        retry: ['error', 'timeout', 502],
      },
      { name: 'sticky', balance: { hash: 'cookie', name: 'sessionid' }, servers: [{ url: 'https://10.0.1.1:80' }] },
      { name: 'byip', balance: { hash: 'client-address' } },
    ]);
    expect(lostOf(plan)).toEqual(['5 server', '7 server']);
    // Without proxy_set_header Host, nginx sends the upstream's name ($proxy_host), not a server's address.
    expect(routesOf(plan)['/b/']).toEqual({ proxy: { pool: 'sticky', host: 'sticky' } });
    expect(plan.skipped.map((skip) => skip.why)).toEqual(expect.arrayContaining(['marked down', 'no translated proxy_pass names it']));
  });
});

describe('locations', () => {
  it('writes every modifier as the edge does, and proxy_pass with a URI as a prefix rewrite', () => {
    const plan = translate(`http { server {
      server_name example.com;
      location = /exact { return 204; }
      location ^~ /assets/ { root /srv/site; expires max; }
      location ~ ^/user/(?P<id>\\d+)$ { return 301 /users/$id; }
      location ~* \\.PDF$ { alias /srv/docs/; }
      location /api/ { proxy_pass http://127.0.0.1:9000/v2/; proxy_set_header X-Custom 1; }
      location /old { rewrite ^/old/(.*)$ /$1 break; proxy_pass http://127.0.0.1:9000; }
      location = /favicon.ico { alias /srv/site/img/favicon.ico; }
      location /sock/ { proxy_pass http://unix:/run/app.sock:/; }
      location / { if ($http_x) { return 403; } return 200 "hi"; add_header X-Frame-Options DENY; }
    } }`);
    expect(routesOf(plan)).toEqual({
      '= /exact': { respond: { status: 204 } },
      '^~ /assets/': { static: { folder: '/srv/site', cacheControl: 'max-age=315360000' } },
      '~ ^/user/(?<id>\\d+)$': { redirect: '/users/$id', status: 301 },
      '/api/': { proxy: { pool: '127.0.0.1:9000', rewrite: { prefix: '/api/', replacement: '/v2/' } } },
      '/old': { proxy: { pool: '127.0.0.1:9000', rewrite: { pattern: '^/old/(.*)$', replacement: '/$1' } } },
      '= /favicon.ico': { static: { folder: '/srv/site/img' } },
      '/sock/': { proxy: { pool: 'unix:/run/app.sock', rewrite: { prefix: '/sock/', replacement: '/' } } },
      '/': { respond: { status: 200, body: 'hi' } },
    });
    expect(plan.sites[0]!.routes.find((route) => route.key === '/')!.rules).toMatchObject({ headers: { 'X-Frame-Options': 'DENY' } });
    expect(lostOf(plan)).toEqual(['6 alias', '6 location', '7 proxy_set_header', '11 if']);
    expect(plan.pools.find((pool) => pool.name === 'unix:/run/app.sock')!.servers).toEqual([{ url: 'http://localhost', socket: '/run/app.sock' }]);
    expect(plan.skipped.find((skip) => skip.directive.name === 'alias')!.why).toMatch(/alias with captures/);
  });

  it('turns a server-level redirect of every path into one route, and says the locations are never reached', () => {
    const plan = translate(`http { server {
      server_name old.example;
      return 301 https://new.example$request_uri;
      location / { proxy_pass http://127.0.0.1:9000; }
    }
    server {
      server_name www.example;
      rewrite ^/blog/(\\d+)$ https://blog.example/p/$1 permanent;
      location / { return 200 ok; }
    } }`);
    expect(routesOf(plan, 0)).toEqual({ '/': { redirect: 'https://new.example$request_uri', status: 301 } });
    expect(plan.skipped.find((skip) => skip.directive.name === 'location' && skip.directive.line === 4)!.why).toMatch(/never reached/);
    // nginx adds the client's query to a rewrite's redirect unless the replacement ends in ?.
    expect(routesOf(plan, 1)).toEqual({ '~ ^/blog/(\\d+)$': { redirect: 'https://blog.example/p/$1$is_args$args', status: 301 }, '/': { respond: { status: 200, body: 'ok' } } });
  });

  it('refuses redirect variables the edge does not know, and return 444', () => {
    const plan = translate(`http { server {
      server_name a.example;
      location /x { return 302 https://$http_host/y; }
      location /y { return 444; }
      location /z { try_files $uri $uri.html =404; root /srv; }
    } }`);
    expect(plan.sites).toEqual([]);
    expect(plan.skipped.map((skip) => skip.why)).toEqual(
      expect.arrayContaining([expect.stringMatching(/not \$http_host/), expect.stringMatching(/return 444/), 'only `try_files $uri [$uri/] <fallback>` is translated']),
    );
  });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@gatehouse/source', BIN, ...args], { cwd: scratch }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
    );
  });
}

describe('gatehouse import nginx', () => {
  it('writes edge.ts, lists what it could not translate on screen and in the file, and exits 0', async () => {
    const tcp = join(scratch, 'gunicorn-tcp.conf');
    writeFileSync(tcp, readFileSync(GUNICORN, 'utf8').replace('unix:/tmp/gunicorn.sock', '127.0.0.1:8000').replace('include mime.types;', ''));
    const { code, stdout, stderr } = await run('import', 'nginx', tcp);
    expect({ code, stderr }).toMatchObject({ code: 0, stderr: expect.stringContaining('error_page 500 502 503 504 /500.html;\n      the edge answers errors with its own pages') });
    expect(stdout).toContain('Wrote edge.ts: 1 pool, 1 site, 2 routes.');
    // client_max_body_size 4G is past gatehouse start's own 10 MiB: the command says so.
    expect(stdout).toContain('Run it: gatehouse start edge.ts --max-body-size 4294967296  (needs @gatehouse/edge-node)');
    const written = readFileSync(join(scratch, 'edge.ts'), 'utf8');
    expect(written).toContain("servers: [{ url: 'http://127.0.0.1:8000', failTimeout: 0 }]");
    expect(written).toContain('//   gunicorn-tcp.conf:69  error_page 500 502 503 504 /500.html;');
    expect(written).toContain('rules: { maxBodySize: 4294967296 },');
    // It does not replace a file without --force.
    expect(await run('import', 'nginx', tcp)).toMatchObject({ code: 2, stderr: expect.stringContaining('edge.ts exists: pass --force') });
    expect((await run('import', 'nginx', tcp, '--force', '-o', 'other.ts')).code).toBe(0);
  });

  it('exits 1 when nothing usable came out, and on a config nginx would refuse, with its file and line', async () => {
    const empty = join(scratch, 'empty.conf');
    writeFileSync(empty, 'events {}\nhttp { server { location / { fastcgi_pass 127.0.0.1:9000; } } }\n');
    expect(await run('import', 'nginx', empty, '-o', 'none.ts')).toMatchObject({ code: 1, stderr: expect.stringContaining('nothing in') });
    const broken = join(scratch, 'broken.conf');
    writeFileSync(broken, 'http {\n  server {\n    listen 80\n  }\n');
    expect(await run('import', 'nginx', broken, '-o', 'x.ts')).toMatchObject({ code: 1, stderr: expect.stringMatching(/broken\.conf:4: .*expecting ";"/) });
    expect(await run('import', 'apache', broken)).toMatchObject({ code: 2, stderr: expect.stringContaining('not "apache"') });
  });
});
