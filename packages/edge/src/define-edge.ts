import { ANSWER_HEAD, type AnswersHeads, type App, type Context, type HeadAnswer, type RequestHead, type ScheduledController } from '@gatehouse/core';
import { LocationTable, parseLocation, type LocationMatch } from './routing/locations.ts';
import { requestTarget, type RequestTarget } from './routing/request-target.ts';
import { ServerNames } from './routing/server-names.ts';
import { compileTemplate, namedGroups, type Template } from './routing/template.ts';
import type { EdgeConfig, ProxyRoute, Route, Routes, StaticRoute } from './edge-config.ts';
import { accessRecordOf, compileAccessLog, trackAccess } from './access-log/access-log.ts';
import { createProxy, type ProxyApp } from './proxy/proxy.ts';
import { compileStatusPage } from './status/status-page.ts';
import type { CacheStats } from './cache/cache-stats.ts';
import { httpCache } from './cache/http-cache.ts';
import { compileRules, type CompiledRules, type Passed, type RouteRules } from './rules/route-rules.ts';
import { safePath } from './static/safe-path.ts';
import { createStaticHandler, type FilePlan, type FileRequestHead } from './static/static-handler.ts';
import { checkPool, startHealthChecks } from './upstream/health-check.ts';
import { createPool, Pool } from './upstream/pool.ts';

/**
 * The edge App. Besides `fetch`, it runs the active health checks of its
 * pools (those with `healthCheck`): once per `scheduled()` call, which is
 * what a Workers cron trigger (or `gatehouse start --cron`) calls, or on
 * each pool's own interval after `startHealthChecks()`, for a long-lived
 * Node process.
 */
export interface EdgeApp<Env = {}> extends App<Env>, AnswersHeads<Env> {
  scheduled(controller: ScheduledController, env: Env, ctx: Context): Promise<void>;
  /** Probe every pool with a `healthCheck` on its interval; returns a function that stops them. */
  startHealthChecks(env?: Env): () => void;
  /**
   * The answer to a GET or HEAD without a body, made without a Request or
   * a Response (see `head-answer.ts`), or undefined: then `fetch` answers.
   * It takes a file held in memory (`StaticHandler.answer`), and a
   * `proxy` route whose transport answers without a Response
   * (`http1Transport`). `@gatehouse/node` calls it first.
   */
  [ANSWER_HEAD](head: RequestHead, env: Env, ctx: Context): HeadAnswer | Promise<HeadAnswer> | undefined;
}

/**
 * The edge tier as an App: nginx-style sites and locations that serve
 * static files, proxy to upstream pools, redirect or answer directly.
 * Serve it like any App: `export default worker(edge)` on Workers,
 * `serve(edge)` on Node.
 *
 * `config` may be a function of `env`, for settings that live in the
 * Worker's bindings (the assets binding, origin URLs in vars); it is
 * called once per `env` object.
 *
 * @example
 * ```ts
 * import { defineEdge } from '@gatehouse/edge'
 *
 * export const edge = defineEdge({
 *   pools: { app: { servers: ['http://10.0.0.1:8000', 'http://10.0.0.2:8000'] } },
 *   routes: {
 *     '= /healthz': { respond: 'ok' },
 *     '^~ /static/': { static: true },
 *     '~ ^/old/(.*)$': { redirect: '/new/$1', status: 301 },
 *     '/': { tryFiles: 'app' },
 *   },
 * })
 * ```
 */
export function defineEdge<Env = {}>(config: EdgeConfig<Env> | ((env: Env) => EdgeConfig<Env>)): EdgeApp<Env> {
  let forEnv: (env: Env) => CompiledEdge<Env>;
  if (typeof config !== 'function') {
    const edge = compileEdge(config);
    forEnv = () => edge;
  } else {
    const compiled = new WeakMap<object, CompiledEdge<Env>>();
    let withoutEnv: CompiledEdge<Env> | undefined;
    forEnv = (env) => {
      if (typeof env !== 'object' || env === null) return (withoutEnv ??= compileEdge(config(env)));
      let edge = compiled.get(env);
      if (edge === undefined) compiled.set(env, (edge = compileEdge(config(env))));
      return edge;
    };
  }
  return {
    fetch: (request, env, ctx) => forEnv(env).handle(request, env, ctx),
    async scheduled(_controller, env) {
      const edge = forEnv(env);
      await Promise.all(edge.checked.map((pool) => checkPool(pool, { transport: edge.transport, env })));
    },
    startHealthChecks(env = {} as Env) {
      const edge = forEnv(env);
      const stops = edge.checked.map((pool) => startHealthChecks(pool, { transport: edge.transport, env }));
      return () => stops.forEach((stop) => stop());
    },
    [ANSWER_HEAD]: (head, env, ctx) => forEnv(env).answerHead(head, env, ctx),
  };
}

interface CompiledRoute<Env> {
  readonly run: (request: Request, target: RequestTarget, match: LocationMatch<CompiledRoute<Env>>, env: Env, ctx: Context) => Promise<Response> | Response;
  /** The answer from the request head alone, when the route can make it so. */
  readonly answerHead?: (head: RequestHead, target: RequestTarget, env: Env, ctx: Context) => HeadAnswer | Promise<HeadAnswer> | undefined;
}

/** Where a URL goes: its site's location, if one matches. */
interface Routed<Env> {
  readonly url: string;
  readonly target: RequestTarget;
  readonly match: LocationMatch<CompiledRoute<Env>> | undefined;
}

interface CompiledEdge<Env> {
  handle(request: Request, env: Env, ctx: Context): Promise<Response> | Response;
  answerHead(head: RequestHead, env: Env, ctx: Context): HeadAnswer | Promise<HeadAnswer> | undefined;
  /** The pools with an active health check. */
  readonly checked: readonly Pool[];
  readonly transport: EdgeConfig<Env>['transport'];
}

function compileEdge<Env>(config: EdgeConfig<Env>): CompiledEdge<Env> {
  const sites = config.sites ?? (config.routes === undefined ? [] : [{ serverName: [], routes: config.routes }]);
  if (sites.length === 0) throw new Error('defineEdge: give `routes`, or `sites` each with its routes');
  const pools = new Map<string, Pool>();
  for (const [name, pool] of Object.entries(config.pools ?? {})) {
    pools.set(name, pool instanceof Pool ? pool : createPool({ name, ...pool }));
  }
  const caches = new Map<string, CacheStats>();
  const shared: Shared<Env> = { config, pools, caches };
  const names = new ServerNames(
    sites.map((site) => ({
      names: typeof site.serverName === 'string' ? [site.serverName] : site.serverName,
      default: site.default,
      value: compileRoutes(site.routes, shared, (site as { rules?: RouteRules }).rules),
    })),
  );
  // Every adapter builds the URL's authority from the Host header, so the
  // route is a function of the URL alone.
  const route = (url: string): Routed<Env> => {
    const target = requestTarget(url);
    return { url, target, match: names.match(target.host).match(matchPath(target.pathname)) };
  };
  // A server that asks for the answer from the head (@gatehouse/node) and
  // gets none calls `fetch` with a Request for the same URL right after:
  // the route found for the head is handed over to that call instead of
  // being matched again. It is taken by the whole URL, which alone decides
  // the route, so however requests interleave (a middleware may await in
  // between), a call can only take the route its own URL has; a miss costs
  // one more match.
  let handedOver: Routed<Env> | undefined;
  const routeOf = (url: string): Routed<Env> => {
    const routed = handedOver;
    if (routed === undefined || routed.url !== url) return route(url);
    handedOver = undefined;
    return routed;
  };
  const log = config.accessLog === undefined ? undefined : compileAccessLog(config.accessLog);
  const status = config.status === undefined ? undefined : { path: config.status.path, page: compileStatusPage(config.status, pools, caches) };
  return {
    checked: [...pools.values()].filter((pool) => pool.healthCheck !== undefined),
    transport: config.transport,
    handle(request, env, ctx) {
      const { target, match } = routeOf(request.url);
      if (status !== undefined && target.pathname === status.path) return status.page(request, ctx);
      if (log === undefined) return match === undefined ? notFound() : match.location.value.run(request, target, match, env, ctx);
      const started = Date.now();
      const record = log.begin(request, match?.location.pattern ?? '-');
      const logged = (response: Response): Response => log.response(request, record, response, ctx, started);
      let answer: Promise<Response> | Response;
      try {
        answer = match === undefined ? notFound() : match.location.value.run(request, target, match, env, ctx);
      } catch (error) {
        answer = Promise.reject(error);
      }
      if (!(answer instanceof Promise)) return logged(answer);
      // A route that throws is answered 500 by the server: the line says so.
      return answer.then(logged, (error: unknown) => {
        logged(new Response(null, { status: 500 }));
        throw error;
      });
    },
    answerHead(head, env, ctx) {
      if (head.method !== 'GET' && head.method !== 'HEAD') return undefined;
      const routed = route(head.url);
      if (status !== undefined && routed.target.pathname === status.path) return undefined;
      const location = routed.match?.location;
      const started = log === undefined ? 0 : Date.now();
      const record = log === undefined || location?.value.answerHead === undefined ? undefined : log.begin(head, location.pattern);
      const answer = location?.value.answerHead?.(head, routed.target, env, ctx);
      if (answer === undefined) handedOver = routed;
      if (record === undefined || answer === undefined) return answer;
      return answer instanceof Promise
        ? answer.then((made) => log!.headAnswer(head, record, made, ctx, started))
        : log!.headAnswer(head, record, answer, ctx, started);
    },
  };
}

/** What every route of an edge may use. */
interface Shared<Env> {
  readonly config: EdgeConfig<Env>;
  readonly pools: ReadonlyMap<string, Pool>;
  /** The cached routes' counts, by location, for the status page. */
  readonly caches: Map<string, CacheStats>;
}

function compileRoutes<Env>(routes: Routes<Env>, config: Shared<Env>, siteRules: RouteRules | undefined): LocationTable<CompiledRoute<Env>> {
  return new LocationTable(
    Object.entries(routes).map(([pattern, route]) => {
      const location = parseLocation(pattern, undefined);
      const rules = compileRules([config.config.rules, siteRules, route], `location "${pattern}"`);
      return { ...location, value: guarded(compileRoute(pattern, route, namedGroups(location.regex), config), rules) };
    }),
  );
}

/** A route behind its rules: refusals before it runs, the rules' fields on what it answers. */
function guarded<Env>(route: CompiledRoute<Env>, rules: CompiledRules | undefined): CompiledRoute<Env> {
  if (rules === undefined) return route;
  const answerHead = route.answerHead;
  return {
    run(request, target, match, env, ctx) {
      const after = (checked: Response | Passed): Promise<Response> | Response => {
        if (checked instanceof Response) return rules.finish(request, checked);
        if (checked.request !== request) {
          const record = accessRecordOf(request);
          if (record !== undefined) trackAccess(checked.request, record);
        }
        let answer: Promise<Response> | Response;
        try {
          answer = route.run(checked.request, target, match, env, ctx);
        } catch (error) {
          answer = Promise.reject(error);
        }
        return rules.finish(request, answer, checked.cut, checked.release);
      };
      const checked = rules.check(request, ctx);
      return checked instanceof Promise ? checked.then(after) : after(checked);
    },
    // An answer from the head goes out as it is: only where the rules would not change it, and pass the request.
    ...(answerHead === undefined || rules.changesAnswers
      ? {}
      : {
          answerHead: (head: RequestHead, target: RequestTarget, env: Env, ctx: Context) =>
            rules.passesHead(head.method, head.url, head.headers, ctx) ? answerHead(head, target, env, ctx) : undefined,
        }),
  };
}

function compileRoute<Env>(pattern: string, route: Route<Env>, groups: string[], shared: Shared<Env>): CompiledRoute<Env> {
  if ('respond' in route) return respond(route.respond);
  if ('redirect' in route) return redirect(pattern, route.redirect, route.status ?? 302, groups);
  if ('fetch' in route) {
    const handler = route.fetch;
    return { run: (request, _url, _match, env, ctx) => handler(request, env, ctx) };
  }
  if ('static' in route) {
    const files = staticFiles(pattern, route.static === true ? {} : route.static, shared);
    return {
      run: async (request, target) => {
        const path = files.path(target.pathname);
        if (path === null) return badPath();
        return (await files.serve(request, path)) ?? notFound();
      },
      answerHead: (head, target) => {
        const path = files.path(target.pathname);
        const plan = path === null ? null : files.planAtOnce(head, path);
        // No file, or not known at once: `fetch` answers, waiting for the store.
        return plan === null || plan === undefined ? undefined : files.answer(plan, head);
      },
    };
  }
  if ('proxy' in route) {
    const upstream = proxyTo(pattern, typeof route.proxy === 'string' ? { pool: route.proxy } : route.proxy, shared);
    return {
      run: (request, _url, _match, env, ctx) => upstream.fetch(request, env, ctx),
      answerHead: (head, _target, env, ctx) => upstream[ANSWER_HEAD](head, env, ctx),
    };
  }
  if ('tryFiles' in route) {
    const options = typeof route.tryFiles === 'string' ? { pool: route.tryFiles } : route.tryFiles;
    const files = staticFiles(pattern, options, shared);
    const upstream = proxyTo(pattern, options, shared);
    return {
      run: async (request, target, _match, env, ctx) => {
        // Files answer only reads; a path no store could hold is the app's
        // to answer (or refuse).
        const reads = request.method === 'GET' || request.method === 'HEAD';
        const path = reads ? files.path(target.pathname) : null;
        const file = path === null ? null : await files.serve(request, path);
        return file ?? upstream.fetch(request, env, ctx);
      },
      answerHead: (head, target, env, ctx) => {
        // A path no store could hold is not looked for, as in `run`.
        const path = files.path(target.pathname);
        const plan = path === null ? null : files.planAtOnce(head, path);
        // Not known at once: `fetch` plans again, waiting for the store.
        if (plan === undefined) return undefined;
        return plan === null ? upstream[ANSWER_HEAD](head, env, ctx) : files.answer(plan, head);
      },
    };
  }
  throw new Error(`location "${pattern}": a route needs one of respond, redirect, static, proxy, tryFiles or fetch`);
}

/** A route's static handler, over the edge's store. */
interface StaticFiles {
  /** The store path for a request path, or null when it must be refused. */
  path(pathname: string): string | null;
  serve(request: Request, path: string): Promise<Response | null>;
  planAtOnce(head: FileRequestHead, path: string): FilePlan | null | undefined;
  answer(plan: FilePlan, head: FileRequestHead): HeadAnswer | undefined;
}

function staticFiles<Env>(pattern: string, options: StaticRoute, shared: Shared<Env>): StaticFiles {
  const store = shared.config.assets;
  if (store === undefined) throw new Error(`location "${pattern}": static files need \`assets\` in the edge config`);
  const { root = '', stripPrefix = '', index, directoryRedirect, spaFallback, notFound, cacheControl, precompressed, types } = options;
  const handlerOptions = { index, directoryRedirect, spaFallback, notFound, cacheControl, precompressed, types };
  if (root !== '' && (!root.startsWith('/') || safePath(root) === null)) {
    throw new Error(`location "${pattern}": root "${root}" must be a plain path starting with "/"`);
  }
  const prefix = root.endsWith('/') ? root.slice(0, -1) : root;
  let handler;
  try {
    handler = createStaticHandler(handlerOptions);
  } catch (error) {
    throw new Error(`location "${pattern}": ${(error as Error).message}`, { cause: error });
  }
  return {
    path(pathname) {
      let rest = pathname;
      if (stripPrefix !== '') {
        if (!rest.startsWith(stripPrefix)) return null;
        rest = rest.slice(stripPrefix.length);
        if (!rest.startsWith('/')) rest = `/${rest}`;
      }
      const path = safePath(rest);
      return path === null ? null : prefix + path;
    },
    serve: (request, path) => handler.serve(request, path, store),
    planAtOnce: (head, path) => handler.planAtOnce(head, path, store),
    answer: (plan, head) => handler.answer(plan, head),
  };
}

function proxyTo<Env>(pattern: string, route: ProxyRoute, shared: Shared<Env>): ProxyApp<Env> {
  const pool = shared.pools.get(route.pool);
  if (pool === undefined) {
    const known = [...shared.pools.keys()];
    throw new Error(
      `location "${pattern}": no pool is named "${route.pool}"${known.length === 0 ? '' : ` (pools: ${known.join(', ')})`}`,
    );
  }
  const { pool: _pool, ...options } = route;
  // Compiled here first, so that a mistake in it names the location.
  if (route.cache !== undefined) shared.caches.set(pattern, httpCache(route.cache, `location "${pattern}"`).stats);
  const spill = shared.config.bodySpill;
  const { buffering } = options;
  // A route that buffers (by default, or as it says) spills to the edge's spill unless it names its own.
  if (spill !== undefined && buffering !== false && buffering?.spill === undefined) {
    return createProxy<Env>(pool, { ...options, transport: shared.config.transport, buffering: { ...buffering, spill } });
  }
  return createProxy<Env>(pool, { ...options, transport: shared.config.transport });
}

function badPath(): Response {
  return new Response('Bad Request\n', { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function respond<Env>(answer: Extract<Route<Env>, { respond: unknown }>['respond']): CompiledRoute<Env> {
  const { status = 200, body = '', headers = {} } =
    typeof answer === 'number' ? { status: answer } : typeof answer === 'string' ? { body: answer } : answer;
  const allHeaders = new Headers(headers);
  if (!allHeaders.has('content-type') && body !== '') allHeaders.set('content-type', 'text/plain; charset=utf-8');
  return {
    run: (request) =>
      new Response(request.method === 'HEAD' || status === 204 || status === 304 ? null : body, { status, headers: allHeaders }),
  };
}

function redirect<Env>(pattern: string, target: string, status: number, groups: string[]): CompiledRoute<Env> {
  if (![301, 302, 303, 307, 308].includes(status)) throw new Error(`location "${pattern}": ${status} is not a redirect status`);
  let template: Template;
  try {
    template = compileTemplate(target, groups);
  } catch (error) {
    throw new Error(`location "${pattern}": ${(error as Error).message}`, { cause: error });
  }
  return {
    run: (request, _target, match) => {
      const url = new URL(request.url);
      return new Response(null, {
        status,
        headers: { location: new URL(template({ url, captures: match.captures, groups: match.groups }), url).href },
      });
    },
  };
}

/** Locations match the decoded path, as nginx's do; a path that does not decode is matched as sent. */
function matchPath(pathname: string): string {
  if (!pathname.includes('%')) return pathname;
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

function notFound(): Response {
  return new Response('Not Found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
