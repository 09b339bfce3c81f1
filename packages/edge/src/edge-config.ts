import type { FetchHandler } from '@gatehouse/core';
import type { AccessLogConfig } from './access-log/access-log.ts';
import type { StatusPageConfig } from './status/status-page.ts';
import type { BodySpill } from './proxy/body-spill.ts';
import type { ProxyOptions } from './proxy/proxy-options.ts';
import type { RouteRules } from './rules/route-rules.ts';
import type { AssetStore } from './static/asset-store.ts';
import type { StaticOptions } from './static/static-handler.ts';
import type { PoolConfig } from './upstream/pool-config.ts';
import type { Pool } from './upstream/pool.ts';
import type { Transport } from './upstream/transport.ts';

/** What {@link defineEdge} takes. */
export interface EdgeConfig<Env = {}> {
  /**
   * Upstream pools by name (nginx `upstream` blocks), for `proxy` and
   * `tryFiles` routes. A config is turned into a pool, with health state
   * per process (Node) or isolate (Workers); pass a `Pool` to share one.
   */
  pools?: Readonly<Record<string, PoolConfig | Pool>>;
  /** Where `static` and `tryFiles` routes find files: `assetsBinding(env.ASSETS)` on Workers, `folderAssets(dir)` on Node. */
  assets?: AssetStore;
  /**
   * How proxied requests reach the pools. Defaults to `fetch`, right on
   * Workers; on Node, whose fetch adds fields the client never sent, use
   * `defineEdge` from `@gatehouse/edge-node`, which defaults to its
   * `http1Transport()`.
   */
  transport?: Transport;
  /**
   * Where proxy routes put a request body read ahead past memory
   * (`buffering.requestFile`), unless a route names its own
   * `buffering.spill`. None by default, so on Workers such bodies are
   * streamed; `defineEdge` from `@gatehouse/edge-node` defaults to its
   * `fileSpill()`, temp files in the OS's temp folder.
   */
  bodySpill?: BodySpill;
  /** The routes of a single site: the shortcut when one edge serves one site. */
  routes?: Routes<Env>;
  /** Several sites, chosen by Host like nginx `server_name`. */
  sites?: readonly SiteConfig<Env>[];
  /** Rules for every route of every site (nginx's `http` level); a site's and a route's replace them name by name. */
  rules?: RouteRules;
  /** A line per request, nginx's `combined` or JSON, written off the response path. Off unless given. */
  accessLog?: AccessLogConfig;
  /** A live page of the pools' servers (state, in flight, req/s, errors, latency), and the same as JSON. Off unless given. */
  status?: StatusPageConfig;
}

/** One site (an nginx `server` block). */
export interface SiteConfig<Env = {}> {
  /**
   * Its names: exact (`example.com`), wildcards (`*.example.com`,
   * `mail.*`, `.example.com`), or regular expressions (`~^api\d\.`).
   */
  serverName: string | readonly string[];
  /** Serve requests whose Host no site names. Defaults to the first site. */
  default?: boolean;
  routes: Routes<Env>;
  /** Rules for every route of the site (nginx's `server` level); a route's replace them name by name. */
  rules?: RouteRules;
}

/**
 * Locations, written as nginx writes them (`= /exact`, `^~ /prefix`,
 * `~ regex`, `~* regex`, `/prefix`), each with what it does. Regexes are
 * tried in the order written here.
 */
export type Routes<Env = {}> = Readonly<Record<string, Route<Env>>>;

/** What a location does, and the rules it keeps ({@link RouteRules}: access, methods, limits, headers). */
export type Route<Env = {}> = RouteAction<Env> & RouteRules;

/** What a location does. */
export type RouteAction<Env = {}> =
  | {
      /** Answer directly: a status, a text body (200), or both with headers. */
      respond: number | string | { status?: number; body?: string; headers?: Record<string, string> };
    }
  | {
      /** Redirect: `$1`, `$name` (captures), `$scheme`, `$host`, `$uri`, `$args`, `$request_uri`. */
      redirect: string;
      /** Defaults to 302. */
      status?: 301 | 302 | 303 | 307 | 308;
    }
  | {
      /** Run an App's fetch here: an edge middleware or a local handler. */
      fetch: FetchHandler<Env>;
    }
  | {
      /** Serve files from `assets`; 404 when there is none. */
      static: true | StaticRoute;
    }
  | {
      /** Proxy to a pool: its name, or its name with options. */
      proxy: string | ProxyRoute;
    }
  | {
      /**
       * A file from `assets` if one exists, else the pool (nginx
       * `try_files $uri $uri/ @app`): the Django layout in one route.
       */
      tryFiles: string | (ProxyRoute & StaticRoute);
    };

/** Options of a `static` route. */
export interface StaticRoute extends StaticOptions {
  /**
   * A folder of the store to serve from, prefixed to the path (nginx
   * `root`): with `root: '/public'`, `/a.css` is the store's `/public/a.css`.
   */
  root?: string;
  /**
   * A prefix taken off the path first (nginx `alias`): with
   * `stripPrefix: '/static'`, `/static/a.css` is the store's `/a.css`.
   */
  stripPrefix?: string;
}

/** Options of a `proxy` route. */
export interface ProxyRoute extends Omit<ProxyOptions, 'transport'> {
  /** The pool's name in `pools`. */
  pool: string;
}
