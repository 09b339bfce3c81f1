/**
 * nginx's proxy cache (`proxy_cache_path`, `proxy_cache` and the
 * `proxy_cache_*` directives) in the edge's terms: a `memoryCacheStore`
 * per zone, and a proxy route's `cache` rules.
 */
import type { Directive } from './nginx-config.ts';
import { nginxSize, nginxTime } from './nginx-values.ts';

/** A `proxy_cache_path` zone, as a memory store of the edge. */
export interface PlannedCacheZone {
  /** The `keys_zone` name. */
  readonly name: string;
  /** `max_size`, or {@link DEFAULT_CACHE_BYTES} when the line has none. */
  readonly maxBytes: number;
  readonly maxSizeGiven: boolean;
  /** `inactive` in seconds, when the line gives it. */
  readonly inactive?: number;
  readonly from: Directive;
}

/** A zone's bytes where `proxy_cache_path` sets no max_size: nginx would fill the disk, memory cannot. */
export const DEFAULT_CACHE_BYTES: number = 64 * 1024 * 1024;
/** nginx's `inactive` where `proxy_cache_path` sets none: 10m. */
export const NGINX_INACTIVE = 600;
/** The statuses nginx's `proxy_cache_valid` gives a time to when it names none. */
const NGINX_VALID_STATUSES = [200, 301, 302];
/** The statuses the edge's `ttl` covers when it is one number (RFC 9111's heuristically cacheable ones). */
export const EDGE_TTL_STATUSES: readonly number[] = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];
/** `proxy_cache_use_stale` conditions the edge's `staleIfError` covers: any of them turns all of them on. */
const STALE_ON_ERROR = new Set(['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504']);

/** The nginx variables a translated `proxy_cache_key` may hold (`$proxy_host` is written as its value). */
export type KeyVariable = 'scheme' | 'host' | 'http_host' | 'request_uri' | 'uri' | 'args' | 'is_args' | 'request_method';
const KEY_VARIABLES: ReadonlySet<string> = new Set<KeyVariable>(['scheme', 'host', 'http_host', 'request_uri', 'uri', 'args', 'is_args', 'request_method']);
/** A piece of a cache key: text as written, or a variable of the request. */
export type KeyPart = string | { readonly variable: KeyVariable };
/** A value `proxy_cache_bypass` or `proxy_no_cache` tests: a cookie, a request field or a query argument. */
export type BypassValue = { readonly cookie: string } | { readonly header: string } | { readonly arg: string };

/** A proxy route's cache, as nginx's directives in effect there set it. */
export interface PlannedCache {
  readonly zone: PlannedCacheZone;
  readonly key?: readonly KeyPart[];
  readonly ttl?: number | Readonly<Record<number, number>>;
  /** Seconds, from the zone's `inactive`. */
  readonly keep?: number;
  readonly staleWhileRevalidate?: number;
  readonly staleIfError?: number;
  readonly lockTimeout?: number;
  /** Requests that skip the cache when one of these is set and not "0". */
  readonly bypass?: readonly BypassValue[];
  /** The field `$upstream_cache_status` is added as; false when nginx adds none. */
  readonly statusHeader: string | false;
  /** The directives each field came from (`zone`: the `proxy_cache` line). */
  readonly from: Readonly<Partial<Record<CacheField, readonly Directive[]>>>;
  /** What a field's comment says besides where it came from. */
  readonly why: Readonly<Partial<Record<CacheField, string>>>;
}

export type CacheField = 'zone' | 'key' | 'ttl' | 'keep' | 'staleWhileRevalidate' | 'staleIfError' | 'lockTimeout' | 'bypass' | 'statusHeader';

/** The cache directives one level of the config hands down, as nginx merges them. */
export interface CacheScope {
  readonly cache?: Directive;
  readonly key?: Directive;
  /** List directives: a level with any of them replaces the whole list it would inherit. */
  readonly valid: readonly Directive[];
  readonly useStale: readonly Directive[];
  readonly bypass: readonly Directive[];
  readonly noCache: readonly Directive[];
  readonly lock?: Directive;
  readonly lockTimeout?: Directive;
}

export const EMPTY_CACHE_SCOPE: CacheScope = { valid: [], useStale: [], bypass: [], noCache: [] };

export function cacheScopeOf(outer: CacheScope, block: readonly Directive[]): CacheScope {
  const last = (name: string): Directive | undefined => block.findLast((directive) => directive.name === name);
  const list = (name: string, inherited: readonly Directive[]): readonly Directive[] => {
    const own = block.filter((directive) => directive.name === name);
    return own.length > 0 ? own : inherited;
  };
  return {
    cache: last('proxy_cache') ?? outer.cache,
    key: last('proxy_cache_key') ?? outer.key,
    valid: list('proxy_cache_valid', outer.valid),
    useStale: list('proxy_cache_use_stale', outer.useStale),
    bypass: list('proxy_cache_bypass', outer.bypass),
    noCache: list('proxy_no_cache', outer.noCache),
    lock: last('proxy_cache_lock') ?? outer.lock,
    lockTimeout: last('proxy_cache_lock_timeout') ?? outer.lockTimeout,
  };
}

/** `$upstream_cache_status` as an `add_header` value. */
export function isCacheStatus(value: string | undefined): boolean {
  return value === '$upstream_cache_status' || value === '${upstream_cache_status}';
}

type Use = (directive: Directive) => void;
type Skip = (directive: Directive, why: string, lost?: boolean) => void;

/** The http level's `proxy_cache_path` zones, by name; a line the edge cannot read is skipped with why. */
export function cacheZonesOf(httpLevel: readonly Directive[], skip: Skip): Map<string, PlannedCacheZone> {
  const zones = new Map<string, PlannedCacheZone>();
  for (const directive of httpLevel) {
    if (directive.name !== 'proxy_cache_path') continue;
    const parameters = new Map<string, string>();
    for (const arg of directive.args.slice(1)) {
      const at = arg.indexOf('=');
      if (at > 0) parameters.set(arg.slice(0, at), arg.slice(at + 1));
    }
    const keysZone = /^([^:]+):(\d+[kKmMgG]?)$/.exec(parameters.get('keys_zone') ?? '');
    if (keysZone === null) {
      skip(directive, 'no keys_zone=<name>:<size>');
      continue;
    }
    const name = keysZone[1]!;
    if (zones.has(name)) {
      skip(directive, `the zone ${name} is already at line ${zones.get(name)!.from.line}`);
      continue;
    }
    const maxSize = parameters.get('max_size');
    const maxBytes = maxSize === undefined ? DEFAULT_CACHE_BYTES : nginxSize(maxSize);
    if (maxBytes === undefined || maxBytes < 1) {
      skip(directive, `max_size=${maxSize ?? ''} is not a size the edge can hold`);
      continue;
    }
    const inactiveText = parameters.get('inactive');
    const inactive = inactiveText === undefined ? undefined : nginxTime(inactiveText);
    if (inactiveText !== undefined && inactive === undefined) {
      skip(directive, `inactive=${inactiveText} is not a time`);
      continue;
    }
    zones.set(name, { name, maxBytes, maxSizeGiven: maxSize !== undefined, ...(inactive === undefined ? {} : { inactive: inactive / 1000 }), from: directive });
  }
  return zones;
}

/** What {@link planCache} needs of the route. */
export interface CacheContext {
  readonly scope: CacheScope;
  /** The `add_header` lines nginx applies to the route (the innermost level that has any). */
  readonly addHeaders: readonly Directive[];
  readonly zones: ReadonlyMap<string, PlannedCacheZone>;
  /** The route's `proxy_pass`, and nginx's `$proxy_host` for it. */
  readonly proxyPass: Directive;
  readonly proxyHost: string;
  /** `proxy_buffering off` in effect on the route. */
  readonly unbuffered?: Directive;
  readonly use: Use;
  /** Say why a directive does not apply to this route, once per reason. */
  readonly note: Skip;
}

/**
 * The route's cache, when nginx caches there: `proxy_cache <zone>` in
 * effect with everything it depends on translated. Where a condition or
 * key cannot be, the route gets no cache at all (noted on `proxy_cache`),
 * since a cache that ignores them could hand one client's page to another.
 */
export function planCache(context: CacheContext): PlannedCache | undefined {
  const { scope, use, note } = context;
  const here = `the proxy_pass at line ${context.proxyPass.line}`;
  const cache = scope.cache;
  if (cache === undefined) return undefined;
  const zoneName = cache.args[0] ?? '';
  if (zoneName === 'off') {
    use(cache);
    return undefined;
  }
  if (zoneName.includes('$')) {
    note(cache, 'a zone named by a variable has no counterpart');
    return undefined;
  }
  const zone = context.zones.get(zoneName);
  if (zone === undefined) {
    note(cache, `no proxy_cache_path the edge can hold has keys_zone=${zoneName}`);
    return undefined;
  }
  if (context.unbuffered !== undefined) {
    note(cache, `not for ${here}: nginx keeps nothing it does not buffer, and proxy_buffering off (line ${context.unbuffered.line}) is in effect there`, false);
    return undefined;
  }

  const from: Partial<Record<CacheField, readonly Directive[]>> = { zone: [cache] };
  const why: Partial<Record<CacheField, string>> = {};
  const used: Directive[] = [cache, zone.from];

  const conditions = [...scope.bypass, ...scope.noCache];
  const tested = new Map<string, BypassValue>();
  for (const directive of conditions) {
    for (const arg of directive.args) {
      const value = bypassValue(arg);
      if (value === undefined) {
        note(directive, 'only $cookie_<name>, $http_<name> and $arg_<name>, each alone, are translated');
        note(cache, `not for ${here}: the condition ${arg} of ${directive.name} (line ${directive.line}) is not translated, and a cache without it could keep or answer what nginx would not`);
        return undefined;
      }
      tested.set(JSON.stringify(value), value);
    }
  }
  if (tested.size > 0) {
    from.bypass = conditions;
    used.push(...conditions);
    const bypassed = new Set(scope.bypass.flatMap((directive) => directive.args.map((arg) => JSON.stringify(bypassValue(arg)))));
    if ([...tested.keys()].some((value) => !bypassed.has(value))) {
      why.bypass = "The edge skips the cache both ways for these: nginx would still answer proxy_no_cache's requests from it, only not keep their answers";
    }
  }

  let key: KeyPart[] | undefined;
  if (scope.key !== undefined) {
    key = keyParts(scope.key.args[0] ?? '', context.proxyHost);
    if (key === undefined || scope.key.args.length !== 1) {
      note(scope.key, 'only keys of text, $scheme, $host, $http_host, $proxy_host, $request_uri, $uri, $args, $is_args and $request_method are translated');
      note(cache, `not for ${here}: its proxy_cache_key (line ${scope.key.line}) is not translated, and a cache keyed otherwise could answer one request with another's page`);
      return undefined;
    }
    from.key = [scope.key];
    used.push(scope.key);
  }

  const ttl = ttlOf(scope.valid, note);
  if (ttl !== undefined) {
    from.ttl = ttl.from;
    used.push(...ttl.from);
    if (ttl.any !== undefined) {
      note(
        ttl.any,
        `any: nginx keeps every status for this time; the edge's ttl names statuses, here ${EDGE_TTL_STATUSES.join(', ')} (its set for one number): others (302, 5xx…) are kept only when the origin says for how long`,
      );
    }
  }

  const window = zone.inactive ?? NGINX_INACTIVE;
  const windowWhy = `nginx serves an answer stale as long as it keeps it: the zone's inactive (${window} s${zone.inactive === undefined ? ", nginx's default" : ''})`;
  const stale = new Set(scope.useStale.flatMap((directive) => directive.args));
  let staleWhileRevalidate: number | undefined;
  let staleIfError: number | undefined;
  if (scope.useStale.length > 0) {
    used.push(...scope.useStale);
    if (!stale.has('off')) {
      if (stale.has('updating')) {
        staleWhileRevalidate = window;
        from.staleWhileRevalidate = scope.useStale;
        why.staleWhileRevalidate = `${windowWhy}; one request refreshes it in the background`;
      }
      const onError = [...stale].filter((condition) => STALE_ON_ERROR.has(condition));
      if (onError.length > 0) {
        staleIfError = window;
        from.staleIfError = scope.useStale;
        // The edge has one switch for all of them: say so where nginx named fewer.
        const all = ['error', 'timeout', 'http_500', 'http_502', 'http_503', 'http_504'].every((condition) => stale.has(condition));
        why.staleIfError = all ? windowWhy : `${windowWhy}; the edge does so on any of 500, 502, 503, 504 and no answer`;
      }
      const other = [...stale].filter((condition) => condition !== 'updating' && !STALE_ON_ERROR.has(condition));
      if (other.length > 0) {
        for (const directive of scope.useStale.filter((line) => line.args.some((arg) => other.includes(arg)))) {
          note(directive, `${other.join(', ')}: the edge serves stale on 500, 502, 503, 504 and no answer, and while it refreshes; not on ${other.join(', ')}`);
        }
      }
    }
  }

  let lockTimeout: number | undefined;
  if (scope.lock !== undefined) {
    used.push(scope.lock);
    if (scope.lock.args[0] === 'off') {
      lockTimeout = 0;
      from.lockTimeout = [scope.lock];
    }
  }
  if (scope.lockTimeout !== undefined) {
    const time = nginxTime(scope.lockTimeout.args[0] ?? '');
    if (lockTimeout === 0) note(scope.lockTimeout, `proxy_cache_lock off (line ${scope.lock!.line}): no request waits for another's fetch`, false);
    else if (time === undefined) note(scope.lockTimeout, 'not a time');
    else {
      lockTimeout = time;
      from.lockTimeout = [scope.lockTimeout];
      used.push(scope.lockTimeout);
    }
  }

  const statusHeaders = context.addHeaders.filter((directive) => isCacheStatus(directive.args[1]));
  const [statusHeader, ...others] = statusHeaders;
  for (const other of others) note(other, `the edge adds the cache status as one field, ${statusHeader!.args[0]} (line ${statusHeader!.line})`);
  if (statusHeader === undefined) why.statusHeader = "nginx adds no cache status where no add_header … $upstream_cache_status applies";
  else {
    from.statusHeader = [statusHeader];
    used.push(statusHeader);
  }

  if (zone.inactive !== undefined) {
    from.keep = [zone.from];
    why.keep = `Its inactive=${zone.from.args.find((arg) => arg.startsWith('inactive='))!.slice('inactive='.length)}: a stale answer with validators is kept that long to be revalidated`;
  }

  for (const directive of used) use(directive);
  return {
    zone,
    ...(key === undefined ? {} : { key }),
    ...(ttl === undefined ? {} : { ttl: ttl.value }),
    ...(zone.inactive === undefined ? {} : { keep: zone.inactive }),
    ...(staleWhileRevalidate === undefined ? {} : { staleWhileRevalidate }),
    ...(staleIfError === undefined ? {} : { staleIfError }),
    ...(lockTimeout === undefined ? {} : { lockTimeout }),
    ...(tested.size === 0 ? {} : { bypass: [...tested.values()] }),
    statusHeader: statusHeader === undefined ? false : statusHeader.args[0]!.toLowerCase(),
    from,
    why,
  };
}

/**
 * `proxy_cache_valid` lines as the edge's `ttl`: the first line that
 * names a status gives its time, as nginx looks them up; `any` gives the
 * edge's own statuses those not named before it.
 */
function ttlOf(lines: readonly Directive[], note: Skip): { value: number | Record<number, number>; from: Directive[]; any?: Directive } | undefined {
  const ttl = new Map<number, number>();
  const from: Directive[] = [];
  let any: Directive | undefined;
  let anySeconds = 0;
  for (const directive of lines) {
    if (any !== undefined) {
      note(directive, `never reached: proxy_cache_valid any (line ${any.line}) answers for every status first`, false);
      continue;
    }
    const time = nginxTime(directive.args.at(-1) ?? '');
    const codes = directive.args.slice(0, -1);
    if (time === undefined || !codes.every((code) => code === 'any' || /^[1-5]\d\d$/.test(code))) {
      note(directive, 'not statuses and a time');
      continue;
    }
    from.push(directive);
    const seconds = time / 1000;
    for (const code of codes.length === 0 ? NGINX_VALID_STATUSES.map(String) : codes) {
      if (code === 'any') {
        any = directive;
        anySeconds = seconds;
      } else if (!ttl.has(Number(code))) {
        ttl.set(Number(code), seconds);
      }
    }
  }
  if (from.length === 0) return undefined;
  if (any !== undefined) {
    if (ttl.size === 0) return { value: anySeconds, from, any };
    for (const status of EDGE_TTL_STATUSES) if (!ttl.has(status)) ttl.set(status, anySeconds);
  }
  return { value: Object.fromEntries(ttl), from, ...(any === undefined ? {} : { any }) };
}

/** `$cookie_x`, `$http_x` or `$arg_x` alone, as the value the edge tests. */
function bypassValue(arg: string): BypassValue | undefined {
  const variable = /^\$(?:\{(\w+)\}|(\w+))$/.exec(arg);
  const name = variable?.[1] ?? variable?.[2];
  if (name === undefined) return undefined;
  if (name.startsWith('cookie_') && name.length > 'cookie_'.length) return { cookie: name.slice('cookie_'.length) };
  if (name.startsWith('http_') && name.length > 'http_'.length) return { header: name.slice('http_'.length).replaceAll('_', '-').toLowerCase() };
  if (name.startsWith('arg_') && name.length > 'arg_'.length) return { arg: name.slice('arg_'.length) };
  return undefined;
}

/** A `proxy_cache_key` as text and request variables, `$proxy_host` written as the route's; undefined for any other variable. */
function keyParts(key: string, proxyHost: string): KeyPart[] | undefined {
  const parts: KeyPart[] = [];
  let text = '';
  let at = 0;
  for (const variable of key.matchAll(/\$(?:\{(\w+)\}|(\w+))/g)) {
    text += key.slice(at, variable.index);
    at = variable.index + variable[0].length;
    const name = variable[1] ?? variable[2]!;
    if (name === 'proxy_host') {
      text += proxyHost;
      continue;
    }
    if (!KEY_VARIABLES.has(name)) return undefined;
    if (text !== '') parts.push(text);
    text = '';
    parts.push({ variable: name as KeyVariable });
  }
  text += key.slice(at);
  if (text !== '') parts.push(text);
  return parts;
}
