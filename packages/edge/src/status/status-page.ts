import type { Context } from '@gatehouse/core';
import { compileGuard, forbidden, type Guard } from '../_guard.ts';
import type { Pool } from '../upstream/pool.ts';
import { keepStats } from './server-stats.ts';
import type { CacheStats } from '../cache/cache-stats.ts';

/** The edge's status page: off unless given, and never without a guard. */
export interface StatusPageConfig extends Guard {
  /** Where it answers, e.g. `/_status`. It comes before every route. */
  readonly path: string;
}

/**
 * The status page of an edge's pools: each server's state (down as the
 * pool's health store says), requests in flight, requests a second, error
 * rate over the last minute and latency percentiles; and each cached
 * route's answers by cache status, with its hit ratio. HTML that updates
 * itself every second, or JSON (`?format=json`, or `Accept:
 * application/json`) for scripts.
 */
export function compileStatusPage(
  config: StatusPageConfig,
  pools: ReadonlyMap<string, Pool>,
  caches: ReadonlyMap<string, CacheStats>,
): (request: Request, ctx: Context) => Response {
  const { path } = config;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`status.path is a path like "/_status", not ${JSON.stringify(path)}`);
  const allowed = compileGuard(config, 'status');
  for (const pool of pools.values()) for (const server of pool.servers) keepStats(server);

  const snapshot = (): object => {
    const now = Date.now();
    return {
      time: new Date(now).toISOString(),
      pools: [...pools].map(([name, pool]) => {
        const down = pool.store.down(now);
        // A remote store answers later: the page shows what memory holds, and says so.
        const downSet = down instanceof Promise ? undefined : down;
        return {
          name,
          servers: pool.servers.map((server) => {
            const stats = keepStats(server);
            return {
              id: server.id,
              backup: server.backup,
              state: downSet === undefined ? 'unknown' : downSet.has(server.key) ? 'down' : 'up',
              inFlight: stats.inFlight,
              ...stats.summary(now),
            };
          }),
        };
      }),
      // Counted per process or isolate, like the servers' figures.
      caches: [...caches].map(([route, stats]) => ({ route, ...stats.summary() })),
    };
  };

  return (request, ctx) => {
    if (!allowed(request, ctx)) return forbidden();
    const url = new URL(request.url);
    const json = url.searchParams.get('format') === 'json' || (request.headers.get('accept') ?? '').includes('application/json');
    if (json) return Response.json(snapshot(), { headers: { 'cache-control': 'no-store' } });
    return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
  };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gatehouse edge status</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  tr[data-state="down"] td { background: #fde2e2; }
  tr[data-state="up"] td:nth-child(2) { color: #1a7f37; }
  tr[data-state="down"] td:nth-child(2) { color: #cf222e; font-weight: bold; }
  #updated { color: #777; }
</style>
</head>
<body>
<h1>Edge status</h1>
<p id="updated">loading…</p>
<div id="pools"></div>
<div id="caches"></div>
<script>
const query = new URLSearchParams(location.search);
query.set('format', 'json');
const esc = (text) => String(text).replace(/[<>&"]/g, (c) => '&#' + c.charCodeAt(0) + ';');
const cell = (value, unit = '') => value === null || value === undefined ? '–' : value + unit;
async function refresh() {
  try {
    const status = await (await fetch(location.pathname + '?' + query, { cache: 'no-store' })).json();
    document.getElementById('updated').textContent = 'updated ' + status.time;
    document.getElementById('pools').innerHTML = status.pools.map((pool) =>
      '<h2>' + esc(pool.name) + '</h2><table><tr><th>server</th><th>state</th><th>in flight</th><th>req/s</th><th>errors</th><th>p50</th><th>p95</th><th>p99</th></tr>' +
      pool.servers.map((server) =>
        '<tr data-server="' + esc(server.id) + '" data-state="' + server.state + '"><td>' + esc(server.id) + (server.backup ? ' (backup)' : '') + '</td><td>' + server.state +
        '</td><td>' + server.inFlight + '</td><td>' + server.rps + '</td><td>' + (server.errorRate === null ? '–' : (server.errorRate * 100).toFixed(1) + ' %') +
        '</td><td>' + cell(server.p50, ' ms') + '</td><td>' + cell(server.p95, ' ms') + '</td><td>' + cell(server.p99, ' ms') + '</td></tr>').join('') +
      '</table>').join('');
    document.getElementById('caches').innerHTML = status.caches.length === 0 ? '' :
      '<h2>cache</h2><table><tr><th>route</th><th>hit ratio</th><th>HIT</th><th>MISS</th><th>EXPIRED</th><th>REVALIDATED</th><th>UPDATING</th><th>STALE</th><th>BYPASS</th></tr>' +
      status.caches.map((cache) =>
        '<tr data-cache="' + esc(cache.route) + '"><td>' + esc(cache.route) + '</td><td class="ratio">' + (cache.hitRatio === null ? '–' : (cache.hitRatio * 100).toFixed(1) + ' %') + '</td>' +
        ['HIT', 'MISS', 'EXPIRED', 'REVALIDATED', 'UPDATING', 'STALE', 'BYPASS'].map((name) => '<td>' + cache.counts[name] + '</td>').join('') + '</tr>').join('') +
      '</table>';
  } catch (error) {
    document.getElementById('updated').textContent = 'could not update: ' + error;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
