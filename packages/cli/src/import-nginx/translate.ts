import type { Directive } from './nginx-config.ts';
import { reasonFor } from './directive-reasons.ts';
import { nginxSize, nginxTime } from './nginx-values.ts';
import { type CacheScope, cacheScopeOf, cacheZonesOf, EMPTY_CACHE_SCOPE, isCacheStatus, type PlannedCache, type PlannedCacheZone, planCache } from './proxy-cache.ts';

/** nginx's client_max_body_size where a config sets none: 1m. */
export const NGINX_MAX_BODY_SIZE: number = 1024 * 1024;

/** Files served from a folder of the disk: a `static` route, or the file half of `tryFiles`. */
export interface PlannedFiles {
  /** The absolute folder nginx's `root` or `alias` names. */
  readonly folder: string;
  readonly stripPrefix?: string;
  readonly index?: readonly string[];
  readonly directoryRedirect?: false;
  readonly cacheControl?: string;
  readonly spaFallback?: string;
}

/** The edge's `buffering` of a proxy route: `false` streams both ways, a field at 0 one way. */
export type PlannedBuffering = false | { readonly request?: number; readonly requestFile?: number; readonly response?: number };

export interface PlannedProxy {
  readonly pool: string;
  readonly host?: string;
  readonly rewrite?: { readonly prefix: string; readonly replacement: string } | { readonly pattern: string; readonly replacement: string };
  /** Unset: the edge's default, nginx's (both ways buffered). */
  readonly buffering?: PlannedBuffering;
  /** The directives `buffering` came from. */
  readonly bufferingFrom?: readonly Directive[];
  readonly cache?: PlannedCache;
}

export type PlannedAction =
  | { readonly respond: { readonly status: number; readonly body?: string; readonly headers?: Readonly<Record<string, string>> } }
  | { readonly redirect: string; readonly status: 301 | 302 | 303 | 307 | 308 }
  | { readonly static: PlannedFiles }
  | { readonly proxy: PlannedProxy }
  | { readonly tryFiles: PlannedFiles & PlannedProxy };

/** The edge's route rules a level of the config sets (allow/deny, client_max_body_size, add_header). */
export interface PlannedRules {
  readonly access?: readonly string[];
  readonly maxBodySize?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The directives they came from. */
  readonly from: readonly Directive[];
}

export interface PlannedRoute {
  /** The location as the edge writes it: `= /x`, `^~ /x`, `~ re`, `~* re`, `/x`. */
  readonly key: string;
  readonly action: PlannedAction;
  readonly rules?: PlannedRules;
  /** The nginx directive it came from (a `location`, a `return`…). */
  readonly from: Directive;
}

export interface PlannedSite {
  readonly serverName: readonly string[];
  readonly default: boolean;
  readonly routes: readonly PlannedRoute[];
  readonly rules?: PlannedRules;
  readonly from: Directive;
}

export interface PlannedServer {
  readonly url: string;
  readonly socket?: string;
  readonly weight?: number;
  readonly maxFails?: number;
  readonly failTimeout?: number;
  readonly backup?: boolean;
}

export type PlannedBalance = 'least-in-flight' | { readonly hash: 'client-address' } | { readonly hash: 'header' | 'cookie'; readonly name: string };

export interface PlannedPool {
  readonly name: string;
  readonly servers: readonly PlannedServer[];
  readonly balance?: PlannedBalance;
  readonly connectTimeout?: number;
  readonly responseTimeout?: number;
  readonly retry?: readonly ('error' | 'timeout' | number)[];
  /** The `upstream` block, or the `proxy_pass` that named a server directly. */
  readonly from: Directive;
}

/** A directive the edge config does without. */
export interface Skipped {
  readonly directive: Directive;
  /** `false`: nothing is lost (the edge does it itself, or it is nginx's own business). */
  readonly lost: boolean;
  readonly why: string;
}

/** What an nginx config becomes: the edge's pools and sites, and what was left out. */
/** nginx's `gzip on` at the http level, as `compress()` of @gatehouse/edge-node does it. */
export interface PlannedGzip {
  readonly level: number;
  readonly minLength: number;
  /** The types compressed (text/html always); `*` for all. */
  readonly types: readonly string[];
  readonly from: readonly Directive[];
}

/** nginx's `access_log <file> [combined]` at the http level: the edge's access log to that file. */
export interface PlannedAccessLog {
  readonly file: string;
  readonly from: Directive;
}

export interface EdgePlan {
  readonly pools: readonly PlannedPool[];
  readonly sites: readonly PlannedSite[];
  readonly gzip?: PlannedGzip;
  readonly accessLog?: PlannedAccessLog;
  /** The `proxy_cache_path` zones a translated route caches in, in the config's order. */
  readonly cacheZones: readonly PlannedCacheZone[];
  /** The http level's rules; `maxBodySize` is nginx's default (1m) when it sets none. */
  readonly rules: PlannedRules;
  readonly skipped: readonly Skipped[];
}

/** The values a level of nginx's config hands down to the levels inside it. */
interface Scope {
  readonly root?: Directive;
  readonly index?: Directive;
  readonly expires?: Directive;
  /** nginx's rule: a level with any `proxy_set_header` (or `add_header`) replaces the whole list it would inherit. */
  readonly proxyHeaders: readonly Directive[];
  readonly connectTimeout?: Directive;
  readonly readTimeout?: Directive;
  readonly nextUpstream?: Directive;
  readonly proxyBuffering?: Directive;
  readonly requestBuffering?: Directive;
  readonly bodyBufferSize?: Directive;
  readonly cache: CacheScope;
  /** Replaced as a whole by a level with any `add_header`, as `proxyHeaders`. */
  readonly addHeaders: readonly Directive[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** The variables an edge `redirect` target understands (besides captures). */
const REDIRECT_VARIABLES = new Set(['scheme', 'host', 'uri', 'args', 'is_args', 'request_uri']);

/**
 * Translate an nginx config (from {@link readNginxConfig}) into the edge's
 * terms: each `upstream` a pool, each `server` a site, each `location` a
 * route. Every directive that has no place in the result is listed in
 * `skipped` with why.
 */
export function translateNginx(config: readonly Directive[]): EdgePlan {
  const state = new Map<Directive, 'used' | 'skipped'>();
  const skipped: Skipped[] = [];
  const use = (directive: Directive | undefined): void => {
    if (directive !== undefined && !state.has(directive)) state.set(directive, 'used');
  };
  const skip = (directive: Directive, why: string, lost = true): void => {
    if (state.get(directive) === 'skipped') return;
    state.set(directive, 'skipped');
    skipped.push({ directive, lost, why });
  };
  /** A directive that applies to a route it cannot be translated for, noted once per reason. */
  const noted = new Set<string>();
  const note = (directive: Directive, why: string, lost = true): void => {
    const key = `${directive.file}:${directive.line}:${why}`;
    if (noted.has(key)) return;
    noted.add(key);
    if (!state.has(directive)) state.set(directive, 'skipped');
    skipped.push({ directive, lost, why });
  };

  const http = config.filter((directive) => directive.name === 'http');
  for (const directive of http) use(directive);
  const httpLevel = http.flatMap((directive) => directive.block ?? []);
  const upstreams = new Map<string, Directive>();
  for (const directive of httpLevel) if (directive.name === 'upstream' && directive.args[0] !== undefined) upstreams.set(directive.args[0], directive);
  const zones = cacheZonesOf(httpLevel, skip);
  /** The zones a translated route caches in. */
  const usedZones = new Set<PlannedCacheZone>();

  const pools = new Map<string, { pool: PlannedPool; scheme: string }>();
  const poolFor = (proxyPass: Directive, target: ProxyTarget): string | undefined => {
    const upstream = target.socket === undefined ? upstreams.get(target.host) : undefined;
    const name = upstream === undefined ? target.authority : target.host;
    const known = pools.get(name);
    if (known !== undefined) {
      if (known.scheme !== target.scheme) {
        skip(proxyPass, `${name} is already reached over ${known.scheme}: one pool has one scheme`);
        return undefined;
      }
      return name;
    }
    const pool = upstream === undefined
      ? {
          name,
          servers: [target.socket === undefined ? { url: `${target.scheme}://${target.authority}` } : { url: `${target.scheme}://localhost`, socket: target.socket }],
          from: proxyPass,
        }
      : translateUpstream(upstream, target.scheme, target.host, use, skip);
    if (pool === undefined) {
      skip(proxyPass, `upstream ${name} has no server the edge can reach`);
      return undefined;
    }
    pools.set(name, { pool, scheme: target.scheme });
    return name;
  };

  /** Set a pool-wide value from a location's directive; a second location asking for another value is noted. */
  const poolSetting = <K extends 'connectTimeout' | 'responseTimeout' | 'retry'>(name: string, key: K, value: PlannedPool[K], directive: Directive): void => {
    const entry = pools.get(name)!;
    const current = entry.pool[key];
    if (current === undefined) {
      entry.pool = { ...entry.pool, [key]: value };
      use(directive);
    } else if (JSON.stringify(current) !== JSON.stringify(value)) {
      note(directive, `the pool ${name} already has ${key} ${JSON.stringify(current)} from another location; the edge sets it per pool`);
    } else {
      use(directive);
    }
  };

  const translateProxy = (proxyPass: Directive, location: LocationMatch | undefined, block: readonly Directive[], scope: Scope): PlannedProxy | undefined => {
    const url = proxyPass.args[0] ?? '';
    const target = proxyTarget(url);
    if (target === undefined) {
      skip(proxyPass, url.includes('$') ? 'a proxy_pass with variables has no counterpart' : `${url} is not an http://, https:// or http://unix: address`);
      return undefined;
    }
    const pool = poolFor(proxyPass, target);
    if (pool === undefined) return undefined;
    use(proxyPass);
    let proxy: PlannedProxy = { pool };
    if (target.uri !== undefined) {
      if (location === undefined || location.modifier === '~' || location.modifier === '~*') {
        skip(proxyPass, 'a URI in proxy_pass needs a prefix or exact location');
        return undefined;
      }
      if (target.uri !== location.path) proxy = { ...proxy, rewrite: { prefix: location.path, replacement: target.uri } };
    }
    const rewrites = block.filter((directive) => directive.name === 'rewrite');
    for (const rewrite of rewrites) {
      const [pattern, replacement, flag] = rewrite.args;
      if (rewrites.length === 1 && flag === 'break' && pattern !== undefined && replacement !== undefined && target.uri === undefined && !/\$(?!\d)/.test(replacement)) {
        proxy = { ...proxy, rewrite: { pattern, replacement } };
        use(rewrite);
      } else {
        skip(rewrite, 'only one `rewrite … break` before a proxy_pass without a URI is translated');
      }
    }
    for (const header of scope.proxyHeaders) {
      const [name = '', value = ''] = header.args;
      const field = name.toLowerCase();
      if (field === 'host') {
        if (value === '$host' || value === '$http_host') {
          proxy = { ...proxy, host: 'client' };
          use(header);
        } else if (value === '$proxy_host') {
          use(header);
        } else if (!value.includes('$')) {
          proxy = { ...proxy, host: value };
          use(header);
        } else {
          note(header, 'the edge sends the client\'s Host, the server\'s, or a fixed one');
        }
      } else if (
        (field === 'x-forwarded-for' && value === '$proxy_add_x_forwarded_for') ||
        (field === 'x-forwarded-proto' && value === '$scheme') ||
        (field === 'x-forwarded-host' && (value === '$host' || value === '$http_host'))
      ) {
        // The edge always sends these three, with these values.
        if (!state.has(header)) skip(header, 'the edge sends it by itself, with this value', false);
      } else if ((field === 'upgrade' && value === '$http_upgrade') || (field === 'connection' && /^(upgrade|\$connection_upgrade)$/i.test(value))) {
        if (!state.has(header)) skip(header, 'the edge passes WebSocket upgrades through by itself', false);
      } else if (field === 'x-real-ip') {
        note(header, 'the edge sends X-Forwarded-For, whose last address is the client\'s, and no X-Real-IP');
      } else {
        note(header, 'the edge sends no request headers of your own yet (X-Forwarded-For, -Proto and -Host it sends by itself)');
      }
    }
    // nginx sends the name proxy_pass gives ($proxy_host) unless told otherwise; the edge would send a server's address.
    if (upstreams.has(target.host) && !scope.proxyHeaders.some((header) => header.args[0]?.toLowerCase() === 'host')) proxy = { ...proxy, host: target.host };
    const connect = scope.connectTimeout === undefined ? undefined : nginxTime(scope.connectTimeout.args[0] ?? '');
    if (connect !== undefined) poolSetting(pool, 'connectTimeout', connect, scope.connectTimeout!);
    const read = scope.readTimeout === undefined ? undefined : nginxTime(scope.readTimeout.args[0] ?? '');
    if (read !== undefined) poolSetting(pool, 'responseTimeout', read, scope.readTimeout!);
    if (scope.nextUpstream !== undefined) {
      const retry = retryOn(scope.nextUpstream.args);
      if (retry === undefined) note(scope.nextUpstream, 'only error, timeout, http_NNN and off are translated');
      else poolSetting(pool, 'retry', retry, scope.nextUpstream);
    }
    for (const directive of block) {
      if (directive.name === 'proxy_redirect' && directive.args[0] === 'off') skip(directive, 'the edge never rewrites Location, as with proxy_redirect off', false);
    }
    if (scope.expires !== undefined) note(scope.expires, 'the edge does not change the caching headers of proxied responses');
    const buffering = bufferingOf(scope);
    if (buffering !== undefined) proxy = { ...proxy, buffering: buffering.value, bufferingFrom: buffering.from };
    const cache = planCache({
      scope: scope.cache,
      addHeaders: scope.addHeaders,
      zones,
      proxyPass,
      proxyHost: target.host,
      ...(buffering?.value === false || buffering?.value.response === 0 ? { unbuffered: scope.proxyBuffering! } : {}),
      use,
      note,
    });
    if (cache !== undefined) {
      proxy = { ...proxy, cache };
      usedZones.add(cache.zone);
    }
    return proxy;
  };

  /**
   * The route's `buffering`, when nginx's directives in effect there ask
   * for other than the default (both ways buffered, as the edge does).
   */
  const bufferingOf = (scope: Scope): { value: PlannedBuffering; from: Directive[] } | undefined => {
    const off = (directive: Directive | undefined): boolean => {
      if (directive === undefined) return false;
      const value = directive.args[0];
      if (value !== 'on' && value !== 'off') {
        note(directive, 'on or off');
        return false;
      }
      use(directive);
      return value === 'off';
    };
    const response = off(scope.proxyBuffering);
    const request = off(scope.requestBuffering);
    const from = [...(response ? [scope.proxyBuffering!] : []), ...(request ? [scope.requestBuffering!] : [])];
    let memory: number | undefined;
    if (scope.bodyBufferSize !== undefined) {
      const size = nginxSize(scope.bodyBufferSize.args[0] ?? '');
      if (request) note(scope.bodyBufferSize, `proxy_request_buffering off (line ${scope.requestBuffering!.line}): the body is not held, it streams`, false);
      else if (size === undefined) note(scope.bodyBufferSize, 'not a size');
      else {
        memory = size;
        from.push(scope.bodyBufferSize);
        use(scope.bodyBufferSize);
      }
    }
    if (response && request) return { value: false, from };
    // requestFile too: on Node a body past memory would go to a temp file, still read whole before the server hears of it.
    const value = { ...(request ? { request: 0, requestFile: 0 } : {}), ...(memory === undefined ? {} : { request: memory }), ...(response ? { response: 0 } : {}) };
    return from.length === 0 ? undefined : { value, from };
  };

  /** The files a location serves from: its `alias`, or the `root` it has or inherits. */
  const filesOf = (location: LocationMatch | undefined, block: readonly Directive[], scope: Scope, where: Directive): PlannedFiles | undefined => {
    const alias = block.find((directive) => directive.name === 'alias');
    let files: { -readonly [K in keyof PlannedFiles]: PlannedFiles[K] };
    if (alias !== undefined) {
      const path = alias.args[0] ?? '';
      if (path.includes('$') || location === undefined || location.modifier === '~' || location.modifier === '~*') {
        skip(alias, 'an alias with captures or variables has no counterpart');
        return undefined;
      }
      if (location.modifier === '=' && !location.path.endsWith('/')) {
        // An exact location aliased to one file: the same name in another folder.
        const name = location.path.slice(location.path.lastIndexOf('/') + 1);
        if (!path.endsWith(`/${name}`)) {
          skip(alias, 'an exact location aliased to a file of another name has no counterpart');
          return undefined;
        }
        files = { folder: trimSlash(path.slice(0, -name.length)), stripPrefix: trimSlash(location.path.slice(0, -name.length)) };
      } else {
        files = { folder: trimSlash(path), stripPrefix: trimSlash(location.path) };
      }
      if (files.stripPrefix === '') delete files.stripPrefix;
      use(alias);
    } else if (scope.root !== undefined) {
      const path = scope.root.args[0] ?? '';
      if (path.includes('$') || !path.startsWith('/')) {
        skip(scope.root, path.includes('$') ? 'a root with variables has no counterpart' : 'a relative root depends on nginx\'s prefix: write an absolute folder');
        return undefined;
      }
      files = { folder: trimSlash(path) };
      use(scope.root);
    } else {
      note(where, "no root: nginx would serve from its own html folder; add a root");
      return undefined;
    }
    if (scope.index !== undefined) {
      if (scope.index.args.some((name) => name.includes('$') || name.startsWith('/'))) note(scope.index, 'index names with variables or absolute paths have no counterpart');
      else {
        if (scope.index.args.join() !== 'index.html') files.index = scope.index.args;
        use(scope.index);
      }
    }
    if (scope.expires !== undefined) {
      const cacheControl = cacheControlOf(scope.expires.args);
      if (cacheControl === undefined) note(scope.expires, 'only a time, epoch, max and off are translated');
      else {
        if (cacheControl !== '') files.cacheControl = cacheControl;
        use(scope.expires);
      }
    }
    return files;
  };

  /**
   * The rules one level sets itself: nginx inherits each of them only into
   * a level that sets none. `inheritsHeaders`: the levels above add fixed
   * fields, which any add_header here replaces in nginx, even one the edge
   * adds otherwise (a variable's, the cache status): then `headers: {}`.
   */
  const rulesOf = (block: readonly Directive[], inheritsHeaders: boolean): PlannedRules | undefined => {
    const from: Directive[] = [];
    const access: string[] = [];
    let maxBodySize: number | undefined;
    const headers: Record<string, string> = {};
    let addsHeaders = false;
    for (const directive of block) {
      const [first = '', second] = directive.args;
      if (directive.name === 'allow' || directive.name === 'deny') {
        if (first.startsWith('unix:')) {
          skip(directive, 'the edge has no unix-socket clients to allow or deny');
          continue;
        }
        access.push(`${directive.name} ${first}`);
      } else if (directive.name === 'client_max_body_size') {
        const size = nginxSize(first);
        if (size === undefined) {
          skip(directive, `${first} is not a size`);
          continue;
        }
        maxBodySize = size === 0 ? Infinity : size;
      } else if (directive.name === 'add_header') {
        addsHeaders = true;
        // The cache's statusHeader, on the routes under it that cache.
        if (isCacheStatus(second)) continue;
        if (second === undefined || `${first}${second}`.includes('$')) {
          skip(directive, 'add_header with variables has no counterpart');
          continue;
        }
        headers[first] = second;
      } else continue;
      from.push(directive);
      use(directive);
    }
    const replacesHeaders = addsHeaders && inheritsHeaders && Object.keys(headers).length === 0;
    if (from.length === 0 && !replacesHeaders) return undefined;
    return {
      ...(access.length === 0 ? {} : { access }),
      ...(maxBodySize === undefined ? {} : { maxBodySize }),
      ...(Object.keys(headers).length === 0 && !replacesHeaders ? {} : { headers }),
      from,
    };
  };
  const httpRules = rulesOf(httpLevel, false);
  const gzip = gzipOf(httpLevel, use, skip);
  const accessLog = accessLogOf(httpLevel, use, skip);
  const edgeRules: PlannedRules = httpRules?.maxBodySize !== undefined ? httpRules : { ...httpRules, maxBodySize: NGINX_MAX_BODY_SIZE, from: httpRules?.from ?? [] };

  const sites: PlannedSite[] = [];
  const taken = new Map<string, PlannedSite>();
  const servers = httpLevel.filter((directive) => directive.name === 'server');
  const httpScope = scopeOf(emptyScope(), httpLevel);
  // The names a TLS server answers: a plain server for the same names is its redirect, done in front of the edge.
  const tlsNames = new Set(servers.filter(listensTls).flatMap((server) => namesOf(server)));

  for (const server of servers) {
    const block = server.block ?? [];
    use(server);
    const names = namesOf(server);
    for (const directive of block) if (directive.name === 'server_name' || directive.name === 'listen') use(directive);
    const isDefault = block.some((directive) => directive.name === 'listen' && directive.args.some((arg) => arg === 'default_server' || arg === 'default'));
    if (!listensTls(server) && names.length > 0 && names.every((name) => tlsNames.has(name))) {
      skip(server, 'a plain-HTTP server for the names of a TLS one: TLS, and the redirect to https://, happen in front of the edge (Cloudflare\'s Always Use HTTPS)', false);
      continue;
    }
    const scope = scopeOf(httpScope, block);
    const serverHeaders = fixedHeadersOf(block) ?? fixedHeadersOf(httpLevel) ?? [];
    const routes: PlannedRoute[] = [];
    const locations = block.filter((directive) => directive.name === 'location');
    const named = new Map(locations.filter((location) => location.args[0]?.startsWith('@')).map((location) => [location.args[0]!, location]));

    // Server-level return and rewrite run before any location is chosen.
    const serverReturn = block.find((directive) => directive.name === 'return');
    const serverRewrites = block.filter((directive) => directive.name === 'rewrite');
    let answeredByServer: Directive | undefined;
    if (serverReturn !== undefined) {
      const action = returnAction(serverReturn, names);
      if (typeof action === 'string') {
        skip(server, serverReturn.args[0] === '444' ? 'return 444 closes the connection without an answer; the edge always answers, and sends Hosts no site names to the default site' : action);
        continue;
      }
      routes.push({ key: '/', action, from: serverReturn });
      use(serverReturn);
      answeredByServer = serverReturn;
    }
    for (const rewrite of serverRewrites) {
      if (answeredByServer !== undefined) {
        skip(rewrite, `never reached: the return at line ${answeredByServer.line} answers first`, false);
        continue;
      }
      const redirect = rewriteRedirect(rewrite, names);
      if (typeof redirect === 'string') {
        skip(rewrite, redirect);
        continue;
      }
      const everything = /^\^(\/?\(\.\*\))?\$?$/.test(rewrite.args[0] ?? '') || rewrite.args[0] === '^';
      const earlier = locations.find((location) => location.args[0] === '=' || location.args[0] === '^~' || /^(=|\^~)\//.test(location.args[0] ?? ''));
      if (!everything && earlier !== undefined) {
        skip(rewrite, `a server-level redirect that not every path takes, beside = and ^~ locations (line ${earlier.line}) that would be chosen before it: write it as a location`);
        continue;
      }
      routes.push({ key: everything ? '/' : `~ ${rewrite.args[0]}`, action: redirect, from: rewrite });
      use(rewrite);
      if (everything) answeredByServer = rewrite;
    }

    for (const location of locations) {
      if (answeredByServer !== undefined) {
        skip(location, `never reached: the server's ${answeredByServer.name} at line ${answeredByServer.line} answers every request`, false);
        continue;
      }
      const match = locationMatch(location);
      if (match === undefined) {
        skip(location, 'not a location the edge can write');
        continue;
      }
      if (match.modifier === '@') continue; // reached only through try_files, below
      const inner = location.block ?? [];
      for (const nested of inner) if (nested.name === 'location') skip(nested, 'a location inside a location: write it at the server level');
      const action = locationAction(location, match, inner, scopeOf(scope, inner), named, scope);
      if (action !== undefined) {
        const rules = rulesOf(inner, serverHeaders.length > 0);
        routes.push({ key: match.key, action, ...(rules === undefined ? {} : { rules }), from: location });
        use(location);
      } else if (!state.has(location)) {
        skip(location, 'not translated: see the lines inside it');
      }
    }
    for (const [name, location] of named) if (!state.has(location)) skip(location, `no try_files sends requests to ${name}`, false);

    // nginx serves files from root where no location matches at all.
    if (answeredByServer === undefined && !locations.some((location) => location.args.length === 1 && location.args[0] === '/') && scope.root !== undefined) {
      const files = filesOf(undefined, [], scope, server);
      if (files !== undefined) routes.push({ key: '/', action: { static: files }, from: scope.root });
    }

    if (routes.length === 0) {
      if (!state.has(server) || state.get(server) === 'used') skip(server, 'nothing in it could be translated');
      continue;
    }
    const taker = names.map((name) => taken.get(name)).find((site) => site !== undefined);
    if (taker !== undefined) {
      skip(server, `its names are already served by the server at line ${taker.from.line} (the edge is one listener: sites are told apart by Host only)`);
      continue;
    }
    const siteRules = rulesOf(block, (fixedHeadersOf(httpLevel) ?? []).length > 0);
    const site: PlannedSite = { serverName: names.length === 0 ? ['_'] : names, default: isDefault, routes, ...(siteRules === undefined ? {} : { rules: siteRules }), from: server };
    for (const name of site.serverName) taken.set(name, site);
    sites.push(site);
  }

  function locationAction(
    location: Directive,
    match: LocationMatch,
    block: readonly Directive[],
    scope: Scope,
    named: ReadonlyMap<string, Directive>,
    serverScope: Scope,
  ): PlannedAction | undefined {
    const returned = block.find((directive) => directive.name === 'return');
    if (returned !== undefined) {
      const captures = match.modifier === '~' || match.modifier === '~*' ? [...match.path.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((group) => group[1]!) : [];
      const action = returnAction(returned, [], captures);
      if (typeof action === 'string') {
        skip(location, action);
        return undefined;
      }
      use(returned);
      return action;
    }
    const proxyPass = block.find((directive) => directive.name === 'proxy_pass');
    const tryFiles = block.find((directive) => directive.name === 'try_files');
    const handler = block.find((directive) => /^(fastcgi|uwsgi|scgi|grpc|memcached)_pass$/.test(directive.name));
    if (handler !== undefined) {
      skip(location, reasonFor(handler).why);
      return undefined;
    }
    if (proxyPass !== undefined) {
      if (tryFiles !== undefined) {
        skip(location, 'try_files and proxy_pass in one location proxies the file\'s path too: move proxy_pass to a named location');
        return undefined;
      }
      const proxy = translateProxy(proxyPass, match, block, scope);
      return proxy === undefined ? undefined : { proxy };
    }
    if (tryFiles !== undefined) {
      const args = tryFiles.args;
      const last = args.at(-1) ?? '';
      const tried = args.slice(0, -1);
      const withDirectory = tried.length === 2 && tried[1] === '$uri/';
      if (tried[0] !== '$uri' || !(tried.length === 1 || withDirectory)) {
        skip(tryFiles, 'only `try_files $uri [$uri/] <fallback>` is translated');
        return undefined;
      }
      const files = filesOf(match, block, scope, location);
      if (files === undefined) return undefined;
      // Without $uri/, nginx tries files only: a folder's path, with or without its slash, goes to the fallback.
      const own: PlannedFiles = withDirectory ? files : { ...files, index: [], directoryRedirect: false };
      use(tryFiles);
      if (last === '=404') return { static: own };
      if (last.startsWith('/') && !last.includes('$')) return { static: { ...own, spaFallback: last } };
      if (last.startsWith('@')) {
        const target = named.get(last);
        if (target === undefined) {
          skip(tryFiles, `no location ${last}`);
          return undefined;
        }
        const targetBlock = target.block ?? [];
        const targetProxy = targetBlock.find((directive) => directive.name === 'proxy_pass');
        if (targetProxy === undefined) {
          skip(target, 'a named location the edge can fall back to must proxy_pass');
          return undefined;
        }
        const proxy = translateProxy(targetProxy, undefined, targetBlock, scopeOf(serverScope, targetBlock));
        if (proxy === undefined) {
          skip(target, 'its proxy_pass could not be translated');
          skip(location, `its fallback ${last} (line ${target.line}) could not be translated`);
          return undefined;
        }
        use(target);
        return { tryFiles: { ...own, ...proxy } };
      }
      skip(tryFiles, `the fallback ${last} has no counterpart (=404, a /file or an @location)`);
      return undefined;
    }
    const files = filesOf(match, block, scope, location);
    return files === undefined ? undefined : { static: files };
  }

  // Everything neither used nor skipped yet is listed with the reason its name has.
  const sweep = (directives: readonly Directive[], descend: boolean): void => {
    for (const directive of directives) {
      const seen = state.get(directive);
      if (seen === 'skipped') continue;
      if (seen === 'used') {
        if (descend && directive.block !== undefined && directive.name !== 'upstream') sweep(directive.block, true);
        continue;
      }
      if (directive.name === 'upstream') {
        skip(directive, 'no translated proxy_pass names it', false);
        continue;
      }
      const reason = reasonFor(directive);
      if (['root', 'index'].includes(directive.name)) skip(directive, 'no location that serves files was translated', false);
      else skip(directive, reason.why, reason.lost);
    }
  };
  sweep(config, true);

  return {
    pools: [...pools.values()].map((entry) => entry.pool),
    sites,
    rules: edgeRules,
    ...(gzip === undefined ? {} : { gzip }),
    ...(accessLog === undefined ? {} : { accessLog }),
    cacheZones: [...zones.values()].filter((zone) => usedZones.has(zone)),
    skipped: skipped.sort((a, b) => a.directive.file.localeCompare(b.directive.file) || a.directive.line - b.directive.line),
  };
}

/**
 * The http level's gzip settings, when it says `gzip on`, with nginx's
 * defaults (level 1, 20 bytes, text/html). Settings the edge's compress()
 * has no use for are left to the sweep.
 */
function gzipOf(block: readonly Directive[], use: Use, skip: Skip): PlannedGzip | undefined {
  const last = (name: string): Directive | undefined => block.findLast((directive) => directive.name === name);
  const on = last('gzip');
  if (on?.args[0] !== 'on') return undefined;
  const from: Directive[] = [on];
  let level = 1;
  let minLength = 20;
  const types = ['text/html'];
  const levelDirective = last('gzip_comp_level');
  if (levelDirective !== undefined) {
    const value = Number(levelDirective.args[0]);
    if (Number.isInteger(value) && value >= 1 && value <= 9) {
      level = value;
      from.push(levelDirective);
    } else skip(levelDirective, 'not a level from 1 to 9');
  }
  const length = last('gzip_min_length');
  if (length !== undefined) {
    const value = nginxSize(length.args[0] ?? '');
    if (value === undefined) skip(length, 'not a size');
    else {
      minLength = value;
      from.push(length);
    }
  }
  for (const directive of block.filter((candidate) => candidate.name === 'gzip_types')) {
    types.push(...directive.args);
    from.push(directive);
  }
  for (const directive of from) use(directive);
  for (const directive of block) {
    if (directive.name === 'gzip_vary') skip(directive, 'compress() always says Vary: Accept-Encoding', false);
    if (directive.name === 'gzip_proxied' || directive.name === 'gzip_http_version' || directive.name === 'gzip_buffers') {
      skip(directive, 'compress() compresses every answer it is given, proxied ones included, in memory', false);
    }
  }
  return { level, minLength, types: [...new Set(types)], from };
}

/**
 * The http level's `access_log`: a file in nginx's `combined` format (its
 * default) becomes the edge's access log to that file; `off` means none.
 */
function accessLogOf(block: readonly Directive[], use: Use, skip: Skip): PlannedAccessLog | undefined {
  const logs = block.filter((directive) => directive.name === 'access_log');
  if (logs.length === 0) return undefined;
  const [first, ...more] = logs;
  for (const extra of more) skip(extra, 'the edge writes one access log');
  const [file = '', format = 'combined', ...options] = first!.args;
  if (file === 'off') {
    skip(first!, 'no access log: the edge writes none unless asked', false);
    return undefined;
  }
  if (format !== 'combined' || options.length > 0 || file.includes('$') || !file.startsWith('/')) {
    skip(first!, 'the edge writes nginx\'s combined format (or JSON) to a file named in full, without buffer= or if=');
    return undefined;
  }
  use(first!);
  return { file, from: first! };
}

function emptyScope(): Scope {
  return { proxyHeaders: [], cache: EMPTY_CACHE_SCOPE, addHeaders: [] };
}

/** The `add_header` lines of one level the edge adds as they are; undefined when the level has none at all. */
function fixedHeadersOf(block: readonly Directive[]): Directive[] | undefined {
  const lines = block.filter((directive) => directive.name === 'add_header');
  if (lines.length === 0) return undefined;
  return lines.filter((directive) => directive.args[1] !== undefined && !directive.args.slice(0, 2).join('').includes('$'));
}

function scopeOf(outer: Scope, block: readonly Directive[]): Scope {
  const last = (name: string): Directive | undefined => block.findLast((directive) => directive.name === name);
  const proxyHeaders = block.filter((directive) => directive.name === 'proxy_set_header');
  const addHeaders = block.filter((directive) => directive.name === 'add_header');
  return {
    root: last('root') ?? outer.root,
    index: last('index') ?? outer.index,
    expires: last('expires') ?? outer.expires,
    proxyHeaders: proxyHeaders.length > 0 ? proxyHeaders : outer.proxyHeaders,
    connectTimeout: last('proxy_connect_timeout') ?? outer.connectTimeout,
    readTimeout: last('proxy_read_timeout') ?? outer.readTimeout,
    nextUpstream: last('proxy_next_upstream') ?? outer.nextUpstream,
    proxyBuffering: last('proxy_buffering') ?? outer.proxyBuffering,
    requestBuffering: last('proxy_request_buffering') ?? outer.requestBuffering,
    bodyBufferSize: last('client_body_buffer_size') ?? outer.bodyBufferSize,
    cache: cacheScopeOf(outer.cache, block),
    addHeaders: addHeaders.length > 0 ? addHeaders : outer.addHeaders,
  };
}

function listensTls(server: Directive): boolean {
  return (server.block ?? []).some((directive) => directive.name === 'listen' && directive.args.includes('ssl'));
}

function namesOf(server: Directive): string[] {
  return (server.block ?? [])
    .filter((directive) => directive.name === 'server_name')
    .flatMap((directive) => directive.args)
    .filter((name) => name !== '' && name !== '""');
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path === '/' ? '' : path;
}

interface LocationMatch {
  readonly modifier: '=' | '^~' | '~' | '~*' | '' | '@';
  readonly path: string;
  /** The route's key in the edge config. */
  readonly key: string;
}

function locationMatch(location: Directive): LocationMatch | undefined {
  const [first = '', second] = location.args;
  if (first.startsWith('@')) return { modifier: '@', path: first, key: first };
  let modifier: LocationMatch['modifier'];
  let path: string;
  if (second !== undefined) {
    if (!['=', '^~', '~', '~*'].includes(first) || location.args.length > 2) return undefined;
    modifier = first as LocationMatch['modifier'];
    path = second;
  } else {
    const attached = /^(=|\^~|~\*|~)(.+)$/.exec(first);
    modifier = (attached?.[1] ?? '') as LocationMatch['modifier'];
    path = attached?.[2] ?? first;
  }
  if (modifier === '~' || modifier === '~*') {
    // PCRE's (?P<name>…) is JavaScript's (?<name>…).
    const regex = path.replaceAll('(?P<', '(?<');
    try {
      new RegExp(regex);
    } catch {
      return undefined;
    }
    return { modifier, path: regex, key: `${modifier} ${regex}` };
  }
  if (!path.startsWith('/')) return undefined;
  return { modifier, path, key: modifier === '' ? path : `${modifier} ${path}` };
}

interface ProxyTarget {
  readonly scheme: 'http' | 'https';
  /** `host:port`, the port always written. */
  readonly authority: string;
  readonly host: string;
  readonly uri?: string;
  /** nginx's `http://unix:/path/to.sock:/uri` form. */
  readonly socket?: string;
}

function proxyTarget(url: string): ProxyTarget | undefined {
  if (url.includes('$')) return undefined;
  const unix = /^(https?):\/\/unix:(\/[^:]+)(?::(\/.*)?)?$/.exec(url);
  if (unix !== null) {
    // nginx's $proxy_host for a socket is "localhost".
    return { scheme: unix[1] as 'http' | 'https', authority: `unix:${unix[2]}`, host: 'localhost', socket: unix[2]!, ...(unix[3] === undefined ? {} : { uri: unix[3] }) };
  }
  const parsed = /^(https?):\/\/([^/]+)(\/.*)?$/.exec(url);
  if (parsed === null || parsed[2]!.startsWith('unix:')) return undefined;
  const scheme = parsed[1] as 'http' | 'https';
  const host = parsed[2]!;
  const withPort = /:\d+$/.test(host) ? host : `${host}:${scheme === 'https' ? 443 : 80}`;
  return { scheme, authority: withPort, host, ...(parsed[3] === undefined ? {} : { uri: parsed[3] }) };
}

type Use = (directive: Directive | undefined) => void;
type Skip = (directive: Directive, why: string, lost?: boolean) => void;

function translateUpstream(upstream: Directive, scheme: string, proxyHost: string, use: Use, skip: Skip): PlannedPool | undefined {
  const servers: PlannedServer[] = [];
  let balance: PlannedBalance | undefined;
  for (const directive of upstream.block ?? []) {
    switch (directive.name) {
      case 'server': {
        const server = upstreamServer(directive, scheme, proxyHost);
        if (typeof server === 'string') skip(directive, server);
        else {
          servers.push(server);
          use(directive);
        }
        break;
      }
      case 'least_conn':
        balance = 'least-in-flight';
        use(directive);
        break;
      case 'ip_hash':
        balance = { hash: 'client-address' };
        use(directive);
        break;
      case 'hash': {
        const key = directive.args[0] ?? '';
        const cookie = /^\$cookie_(\w+)$/.exec(key);
        const header = /^\$http_(\w+)$/.exec(key);
        if (key === '$remote_addr' || key === '$binary_remote_addr') balance = { hash: 'client-address' };
        else if (cookie !== null) balance = { hash: 'cookie', name: cookie[1]! };
        else if (header !== null) balance = { hash: 'header', name: header[1]!.replaceAll('_', '-') };
        else {
          skip(directive, 'the edge hashes the client address, a header or a cookie');
          break;
        }
        use(directive);
        break;
      }
      case 'keepalive':
      case 'keepalive_timeout':
      case 'keepalive_requests':
        skip(directive, 'the edge keeps connections to servers open by itself', false);
        break;
      default:
        skip(directive, reasonFor(directive).why);
    }
  }
  if (!servers.some((server) => server.backup !== true)) return undefined;
  use(upstream);
  return { name: upstream.args[0]!, servers, ...(balance === undefined ? {} : { balance }), from: upstream };
}

/**
 * One `server` line of an `upstream`, or why it cannot be one. A unix
 * socket's URL names the upstream (`http://app_server`): what nginx's
 * `$proxy_host` is.
 */
function upstreamServer(directive: Directive, scheme: string, proxyHost: string): PlannedServer | string {
  const [address = '', ...parameters] = directive.args;
  const socket = address.startsWith('unix:') ? address.slice('unix:'.length) : undefined;
  if (socket !== undefined && !socket.startsWith('/')) return 'a unix socket the edge reaches is an absolute path';
  const authority = /:\d+$/.test(address) ? address : `${address}:80`;
  const server: { -readonly [K in keyof PlannedServer]: PlannedServer[K] } =
    socket === undefined ? { url: `${scheme}://${authority}` } : { url: `${scheme}://${proxyHost}`, socket };
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=', 2);
    if (name === 'weight' && /^\d+$/.test(value)) server.weight = Number(value);
    else if (name === 'max_fails' && /^\d+$/.test(value)) server.maxFails = Number(value);
    else if (name === 'fail_timeout' && nginxTime(value) !== undefined) server.failTimeout = nginxTime(value)!;
    else if (name === 'backup') server.backup = true;
    else if (name === 'down') return 'marked down';
    else return `the server parameter ${parameter} has no counterpart`;
  }
  if (server.weight === 1) delete server.weight;
  if (server.maxFails === 1) delete server.maxFails;
  if (server.failTimeout === 10_000) delete server.failTimeout;
  return server;
}

/** `return`'s translation, or why there is none. */
function returnAction(directive: Directive, names: readonly string[], captures: readonly string[] = []): PlannedAction | string {
  const [first = '', second] = directive.args;
  if (/^\d{3}$/.test(first)) {
    const status = Number(first);
    if (status === 444) return 'return 444 closes the connection without an answer; the edge always answers';
    if (REDIRECT_STATUSES.has(status) && second !== undefined) {
      const target = redirectTarget(second, names, captures);
      return typeof target === 'string' && target.startsWith('!') ? target.slice(1) : { redirect: target, status: status as 301 };
    }
    if (second !== undefined && second.includes('$')) return 'a return text with variables has no counterpart';
    return { respond: { status, ...(second === undefined ? {} : { body: second }) } };
  }
  if (/^(https?:\/\/|\$scheme)/.test(first)) {
    const target = redirectTarget(first, names, captures);
    return target.startsWith('!') ? target.slice(1) : { redirect: target, status: 302 };
  }
  return `return ${directive.args.join(' ')} is not a status or a URL`;
}

/** A redirect target in the edge's terms, or `!` and why it cannot be one. */
function redirectTarget(target: string, names: readonly string[], captures: readonly string[] = []): string {
  let written = target;
  // $server_name is the server's first name, fixed at translation time.
  if (names[0] !== undefined) written = written.replaceAll('$server_name', names[0]).replaceAll('${server_name}', names[0]);
  for (const variable of written.matchAll(/\$\{?([A-Za-z_]\w*)\}?/g)) {
    if (!REDIRECT_VARIABLES.has(variable[1]!) && !captures.includes(variable[1]!)) return `!the edge's redirects know $scheme, $host, $uri, $args, $is_args, $request_uri and captures, not $${variable[1]}`;
  }
  return written;
}

/** A server-level `rewrite … permanent|redirect` as a redirect, or why it is not one. */
function rewriteRedirect(rewrite: Directive, names: readonly string[]): PlannedAction | string {
  const [pattern, replacement, flag] = rewrite.args;
  if (pattern === undefined || replacement === undefined) return 'a rewrite needs a regex and a replacement';
  const absolute = /^(https?:\/\/|\$scheme)/.test(replacement);
  if (flag !== 'permanent' && flag !== 'redirect' && !absolute) return 'only rewrites that redirect (permanent, redirect, or to http(s)://) are translated';
  try {
    new RegExp(pattern);
  } catch {
    return `the regex ${pattern} is not one JavaScript reads`;
  }
  // nginx adds the client's query unless the replacement ends in `?` or has one.
  let target = replacement;
  if (target.endsWith('?')) target = target.slice(0, -1);
  else if (!target.includes('?') && !/\$(args|request_uri|is_args)/.test(target)) target += '$is_args$args';
  const written = redirectTarget(target, names);
  if (written.startsWith('!')) return written.slice(1);
  return { redirect: written, status: flag === 'permanent' ? 301 : 302 };
}

function cacheControlOf(args: readonly string[]): string | undefined {
  const [value = ''] = args;
  if (args.length !== 1) return undefined;
  if (value === 'off') return '';
  if (value === 'epoch') return 'no-cache';
  if (value === 'max') return 'max-age=315360000';
  if (value.startsWith('-')) return nginxTime(value.slice(1)) === undefined ? undefined : 'no-cache';
  const time = nginxTime(value);
  return time === undefined ? undefined : `max-age=${Math.floor(time / 1000)}`;
}

function retryOn(args: readonly string[]): ('error' | 'timeout' | number)[] | undefined {
  if (args.length === 1 && args[0] === 'off') return [];
  const on: ('error' | 'timeout' | number)[] = [];
  for (const arg of args) {
    const status = /^http_(\d{3})$/.exec(arg);
    if (arg === 'error' || arg === 'timeout') on.push(arg);
    else if (status !== null) on.push(Number(status[1]));
    else return undefined;
  }
  return on;
}
