import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { edgeSource } from './edge-source.ts';
import { readNginxConfig } from './nginx-config.ts';
import { DEFAULT_CACHE_BYTES } from './proxy-cache.ts';
import { type EdgePlan, type PlannedProxy, translateNginx } from './translate.ts';

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

const CACHE_AND_BUFFERING = fileURLToPath(new URL('../../test/nginx-import/cache-and-buffering/nginx.conf', import.meta.url));

describe('proxy buffering and the proxy cache, as cache-and-buffering/nginx.conf sets them', () => {
  const plan = translateNginx(readNginxConfig(CACHE_AND_BUFFERING));
  const proxyOf = (key: string): PlannedProxy => (routesOf(plan)[key] as { proxy: PlannedProxy }).proxy;
  const whyOf = (line: number, name: string): string[] => plan.skipped.filter((skip) => skip.directive.line === line && skip.directive.name === name).map((skip) => skip.why);
  const doneOf = (p: EdgePlan): string[] => p.skipped.filter((skip) => !skip.lost).map((skip) => `${skip.directive.line} ${skip.directive.name}`);

  it('buffers as nginx does unless told: proxy_buffering off streams the answer, proxy_request_buffering off the body (no temp file either), both off both; client_body_buffer_size is the memory for a body', () => {
    const buffering = Object.fromEntries(plan.sites[0]!.routes.map((route) => [route.key, 'proxy' in route.action ? route.action.proxy.buffering : undefined]));
    expect(buffering).toEqual({
      // Inherited from the http level, as nginx does.
      '/': { request: 128 * 1024 },
      '/events/': { request: 128 * 1024, response: 0 },
      '/upload/': { request: 0, requestFile: 0 },
      '/socket/': false,
      '/forms/': { request: 1024 * 1024 },
      '/api/': { request: 128 * 1024 },
      '/catalog/': { request: 128 * 1024 },
      '/reports/': { request: 128 * 1024 },
      '/account/': { request: 128 * 1024 },
      '/lang/': { request: 128 * 1024 },
    });
    expect(proxyOf('/socket/').bufferingFrom!.map((directive) => directive.line)).toEqual([69, 70]);
    // Where the body streams, the memory for it does not apply.
    expect(whyOf(17, 'client_body_buffer_size')).toEqual([
      'proxy_request_buffering off (line 63): the body is not held, it streams',
      'proxy_request_buffering off (line 70): the body is not held, it streams',
    ]);
  });

  it("leaves nginx's buffer sizes and temp paths out with nothing lost, and says what the edge does instead", () => {
    for (const [line, name, why] of [
      [18, 'proxy_buffers', /buffering\.response/],
      [19, 'proxy_buffer_size', /buffering\.response/],
      [20, 'proxy_busy_buffers_size', /buffering\.response/],
      [21, 'proxy_max_temp_file_size', /in memory only.*never into a temp file/],
      [22, 'proxy_temp_path', /no temp files/],
      [23, 'client_body_temp_path', /temp file of the OS's temp folder.*fileSpill/],
    ] as const) {
      expect(plan.skipped.find((skip) => skip.directive.line === line)).toMatchObject({ lost: false, why: expect.stringMatching(why), directive: { name } });
    }
  });

  it('keeps each zone a route caches in as one memory store: max_size its bytes, a default without one; a zone nothing names is left out', () => {
    expect(plan.cacheZones).toEqual([
      expect.objectContaining({ name: 'pages', maxBytes: 1024 ** 3, maxSizeGiven: true, inactive: 3600 }),
      expect.objectContaining({ name: 'api-v2', maxBytes: DEFAULT_CACHE_BYTES, maxSizeGiven: false }),
    ]);
    expect(plan.cacheZones[1]).not.toHaveProperty('inactive');
    expect(plan.skipped.find((skip) => skip.directive.line === 15)).toMatchObject({ lost: false, why: 'no translated proxy_cache names its zone' });
  });

  it("gives a location the server's cache: key, ttl by status, stale windows and keep from the zone's inactive, lock timeout, bypass, status field", () => {
    const cache = proxyOf('/').cache!;
    expect(cache).toMatchObject({
      zone: { name: 'pages' },
      key: [{ variable: 'scheme' }, { variable: 'request_method' }, { variable: 'host' }, { variable: 'request_uri' }],
      ttl: { 200: 600, 301: 600, 404: 60 },
      keep: 3600,
      staleWhileRevalidate: 3600,
      staleIfError: 3600,
      lockTimeout: 3000,
      // proxy_no_cache's conditions too: the edge has one test for both.
      bypass: [{ cookie: 'sessionid' }, { arg: 'nocache' }, { header: 'authorization' }],
      statusHeader: 'x-cache',
    });
    expect(cache.why.bypass).toMatch(/nginx would still answer proxy_no_cache's requests from it/);
    expect(cache.why.staleIfError).toBe("nginx serves an answer stale as long as it keeps it: the zone's inactive (3600 s)");
    expect(cache.from.ttl!.map((directive) => directive.line)).toEqual([42, 43]);
  });

  it("lets a location's own settings replace the server's, as nginx merges them", () => {
    expect(proxyOf('/api/').cache).toMatchObject({
      zone: { name: 'api-v2' },
      // $proxy_host is the upstream's name, written as it is.
      key: [{ variable: 'scheme' }, 'app', { variable: 'uri' }, { variable: 'is_args' }, { variable: 'args' }],
      // `proxy_cache_valid 5s` is nginx's 200, 301 and 302; `any` the edge's own statuses the lines before it did not name.
      ttl: { 200: 5, 301: 5, 302: 5, 203: 1, 204: 1, 300: 1, 308: 1, 404: 1, 405: 1, 410: 1, 414: 1, 501: 1 },
      // The zone has no inactive: nginx's 10m.
      staleIfError: 600,
      lockTimeout: 0,
      bypass: [{ header: 'x-no-cache' }, { cookie: 'sessionid' }, { header: 'authorization' }],
      statusHeader: 'x-api-cache',
    });
    expect(proxyOf('/api/').cache).not.toHaveProperty('staleWhileRevalidate');
    expect(proxyOf('/api/').cache!.why.staleIfError).toMatch(/the edge does so on any of 500, 502, 503, 504 and no answer$/);
    expect(whyOf(85, 'proxy_cache_valid')).toEqual([expect.stringMatching(/^any: nginx keeps every status/)]);
    expect(whyOf(45, 'proxy_cache_lock_timeout')).toEqual(["proxy_cache_lock off (line 87): no request waits for another's fetch"]);
    // `any` alone is the edge's one number; use_stale off serves nothing stale; lock on is the edge's default.
    expect(proxyOf('/catalog/').cache).toMatchObject({ ttl: 30, lockTimeout: 3000 });
    expect(Object.keys(proxyOf('/catalog/').cache!)).not.toEqual(expect.arrayContaining(['staleIfError']));
    expect(proxyOf('/reports/').cache).toMatchObject({ staleWhileRevalidate: 3600 });
    expect(proxyOf('/reports/').cache).not.toHaveProperty('staleIfError');
  });

  it('caches nothing where nginx would not (proxy_cache off, proxy_buffering off), nor where a condition or a key is not translated', () => {
    const cached = plan.sites[0]!.routes.filter((route) => 'proxy' in route.action && route.action.proxy.cache !== undefined).map((route) => route.key);
    expect(cached).toEqual(['/', '/api/', '/catalog/', '/reports/']);
    expect(whyOf(40, 'proxy_cache')).toEqual([
      'not for the proxy_pass at line 58: nginx keeps nothing it does not buffer, and proxy_buffering off (line 57) is in effect there',
      'not for the proxy_pass at line 71: nginx keeps nothing it does not buffer, and proxy_buffering off (line 69) is in effect there',
      'not for the proxy_pass at line 111: the condition $skip_cache of proxy_cache_bypass (line 110) is not translated, and a cache without it could keep or answer what nginx would not',
      "not for the proxy_pass at line 116: its proxy_cache_key (line 115) is not translated, and a cache keyed otherwise could answer one request with another's page",
    ]);
    expect(whyOf(110, 'proxy_cache_bypass')).toEqual(['only $cookie_<name>, $http_<name> and $arg_<name>, each alone, are translated']);
    expect(whyOf(115, 'proxy_cache_key')).toEqual([expect.stringMatching(/^only keys of text, \$scheme/)]);
  });

  it('lists what the edge has no counterpart for, lost or not as the edge behaves', () => {
    expect(lostOf(plan)).toEqual([
      '31 map',
      '40 proxy_cache',
      '40 proxy_cache',
      '85 proxy_cache_valid',
      '94 proxy_cache_valid',
      '101 proxy_cache_methods',
      '102 proxy_cache_min_uses',
      '103 proxy_cache_convert_head',
      '104 proxy_cache_use_stale',
      '110 proxy_cache_bypass',
      '115 proxy_cache_key',
    ]);
    expect(doneOf(plan)).toEqual(
      expect.arrayContaining(['25 proxy_cache_methods', '26 proxy_cache_min_uses', '27 proxy_cache_revalidate', '28 proxy_cache_background_update', '29 proxy_cache_convert_head']),
    );
    expect(whyOf(27, 'proxy_cache_revalidate')).toEqual([expect.stringMatching(/always revalidates .* If-None-Match \/ If-Modified-Since/)]);
    expect(whyOf(104, 'proxy_cache_use_stale')).toEqual([expect.stringMatching(/not on http_404$/)]);
  });

  it('writes one memoryCacheStore per zone, each cache naming its store, with the nginx lines they came from', () => {
    const source = edgeSource(plan, 'nginx.conf', join(CACHE_AND_BUFFERING, '..'));
    expect(source).toContain("import { memoryCacheStore } from '@gatehouse/edge';");
    expect(source).toMatch(/\/\/ proxy_cache_path \/var\/cache\/nginx\/pages .*\(nginx\.conf:13\)\n(\/\/ .*\n)*const pages = memoryCacheStore\(\{ maxBytes: 1073741824 \}\);/);
    expect(source).toMatch(/No max_size \(nginx would fill the disk\): 64 MiB .*\nconst apiV2 = memoryCacheStore\(\{ maxBytes: 67108864 \}\);/);
    expect(source).toContain("redisCacheStore(client) from '@gatehouse/edge-node/redis'");
    expect(source).toContain('store: apiV2,');
    expect(source).toContain('// proxy_cache_valid 200 301 10m; (nginx.conf:42)\n');
    expect(source).toContain('return `${url.protocol.slice(0, -1)}${request.method}${url.hostname}${url.pathname}${url.search}`;');
    expect(source).toContain("bypass: (request) => [cookieOf(request, 'sessionid'), new URL(request.url).searchParams.get('nocache'), request.headers.get('authorization')]");
    expect(source).toContain('function cookieOf(request: Request, name: string): string | null {');
    expect(source).toContain('buffering: false,');
  });
});

describe('the cache in other configs', () => {
  it('takes the status field from the add_header lines nginx applies to the route, which replace those above', () => {
    const plan = translate(`http {
      proxy_cache_path /c keys_zone=c:1m;
      add_header X-Frame-Options DENY;
      server {
        server_name _;
        proxy_cache c;
        add_header X-Cache-Status $upstream_cache_status;
        location /a/ { proxy_pass http://127.0.0.1:9000; }
        location /b/ { proxy_pass http://127.0.0.1:9000; add_header X-Served-By edge; }
        location /c/ { proxy_pass http://127.0.0.1:9000; proxy_cache off; }
      }
      server {
        server_name nocache.example;
        add_header X-Cache-Status $upstream_cache_status;
        location / { proxy_pass http://127.0.0.1:9000; }
      }
    }`);
    const [cached, uncached] = plan.sites;
    // The server's add_header replaces the http level's X-Frame-Options, as in nginx.
    expect(cached!.rules).toMatchObject({ headers: {} });
    expect(routesOf(plan)).toMatchObject({
      '/a/': { proxy: { cache: { statusHeader: 'x-cache-status' } } },
      '/b/': { proxy: { cache: { statusHeader: false } } },
      '/c/': { proxy: { pool: '127.0.0.1:9000' } },
    });
    expect(cached!.routes.find((route) => route.key === '/b/')!.rules).toMatchObject({ headers: { 'X-Served-By': 'edge' } });
    expect(routesOf(plan)['/c/']).not.toHaveProperty('proxy.cache');
    expect(uncached!.rules).toMatchObject({ headers: {} });
    expect(plan.skipped.find((skip) => skip.directive.line === 14)).toMatchObject({ lost: false, why: expect.stringMatching(/\$upstream_cache_status is empty there/) });
  });

  it('reads proxy_cache_valid as nginx looks it up (the first line naming a status wins, nothing after `any`), and names what it cannot hold', () => {
    const plan = translate(`http {
      proxy_cache_path /c keys_zone=c:1m inactive=2h max_size=0;
      proxy_cache_path /d levels=1:2;
      proxy_cache_path /e keys_zone=e:1m max_size=10m inactive=1w;
      proxy_cache_path /e2 keys_zone=e:1m;
      server {
        server_name _;
        location /a/ { proxy_pass http://127.0.0.1:9000; proxy_cache e; proxy_cache_valid 404 1m; proxy_cache_valid 200 404 1h; proxy_cache_valid any 10s; proxy_cache_valid 500 1s; }
        location /b/ { proxy_pass http://127.0.0.1:9000; proxy_cache c; }
        location /c/ { proxy_pass http://127.0.0.1:9000; proxy_cache $zone; }
      }
    }`);
    expect(routesOf(plan)['/a/']).toMatchObject({ proxy: { cache: { keep: 604_800, ttl: { 404: 60, 200: 3600, 203: 10, 501: 10 } } } });
    expect((routesOf(plan)['/a/'] as { proxy: PlannedProxy }).proxy.cache!.ttl).not.toHaveProperty('500');
    expect(plan.skipped.map((skip) => [skip.directive.line, skip.lost, skip.why])).toEqual([
      [2, true, 'max_size=0 is not a size the edge can hold'],
      [3, true, 'no keys_zone=<name>:<size>'],
      [5, true, 'the zone e is already at line 4'],
      [8, false, 'never reached: proxy_cache_valid any (line 8) answers for every status first'],
      [8, true, expect.stringMatching(/^any: /)],
      [9, true, 'no proxy_cache_path the edge can hold has keys_zone=c'],
      [10, true, 'a zone named by a variable has no counterpart'],
    ]);
  });
});
