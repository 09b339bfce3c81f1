import { relative } from 'node:path';
import type { Directive } from './nginx-config.ts';
import { type BypassValue, type CacheField, DEFAULT_CACHE_BYTES, type KeyPart, type KeyVariable, type PlannedCache, type PlannedCacheZone } from './proxy-cache.ts';
import { type EdgePlan, NGINX_MAX_BODY_SIZE, type PlannedAction, type PlannedFiles, type PlannedPool, type PlannedProxy, type PlannedRoute, type PlannedRules, type PlannedSite } from './translate.ts';

/** A value of the generated config, with the comments to write above its entries. */
type Code = string | number | boolean | readonly Code[] | Entries | Raw;
interface Entry {
  readonly key: string;
  readonly value: Code;
  readonly comments?: readonly string[];
}
class Entries {
  readonly entries: readonly Entry[];
  constructor(entries: readonly Entry[]) {
    this.entries = entries;
  }
}
/** Source written as it is (a function). */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** What writing a route needs besides the route. */
interface Context {
  readonly assetsFolder: string;
  readonly where: (directive: Directive) => string;
  /** Each cache zone's constant in the module. */
  readonly zones: ReadonlyMap<PlannedCacheZone, string>;
}

/** Names the module declares or imports, which a zone's constant must not take. */
const TAKEN = new Set(['defineEdge', 'folderAssets', 'compress', 'accessLogFile', 'memoryCacheStore', 'cookieOf', 'request', 'url', 'value']);

/**
 * The edge config module for `plan`: TypeScript that imports
 * `@gatehouse/edge-node`, runs with `gatehouse start edge.ts`, and lists
 * what was left out at its end. Paths in comments are relative to
 * `base` (the folder the nginx config was read from).
 */
export function edgeSource(plan: EdgePlan, from: string, base: string): string {
  const where = (directive: Directive): string => `${relative(base, directive.file) || directive.file}:${directive.line}`;
  const folders = plan.sites.flatMap((site) => site.routes.flatMap((route) => filesOfRoute(route.action)?.folder ?? []));
  const assetsFolder = folders.length === 0 ? undefined : commonFolder(folders);
  const zones = new Map<PlannedCacheZone, string>();
  for (const zone of plan.cacheZones) zones.set(zone, constantName(zone.name, new Set(zones.values())));
  const context: Context = { assetsFolder: assetsFolder ?? '/', where, zones };
  const caches = plan.sites.flatMap((site) => site.routes.flatMap((route) => proxyOfRoute(route.action)?.cache ?? []));
  const readsCookies = caches.some((cache) => cache.bypass?.some((value) => 'cookie' in value) === true);

  const config: Entry[] = [];
  if (plan.accessLog !== undefined) {
    config.push({
      key: 'accessLog',
      value: new Entries([
        { key: 'format', value: 'combined' },
        { key: 'write', value: new Raw(`accessLogFile(${quote(plan.accessLog.file)}).write`) },
      ]),
      comments: [`${shown(plan.accessLog.from)} (${where(plan.accessLog.from)}); SIGUSR1 opens the file again, as nginx does`],
    });
  }
  if (assetsFolder !== undefined) {
    config.push({ key: 'assets', value: new Raw(`folderAssets(${quote(assetsFolder)})`), comments: ['Every root and alias of the nginx config is under this folder.'] });
  }
  if (plan.pools.length > 0) {
    config.push({
      key: 'pools',
      value: new Entries(plan.pools.map((pool) => ({ key: pool.name, value: poolCode(pool), comments: [`${describe(pool.from)} (${where(pool.from)})`, ...pool.from.comments] }))),
    });
  }
  const routesOf = (site: PlannedSite): Entries =>
    new Entries(
      site.routes.map((route) => {
        const action = actionCode(route.action, context) as Entries;
        return { key: route.key, value: route.rules === undefined ? action : new Entries([...action.entries, ...rulesEntries(route.rules)]), comments: routeComments(route, where) };
      }),
    );
  const rulesComment = (rules: PlannedRules): string[] =>
    rules.from.length === 0 ? [] : [rules.from.map((directive) => `${shown(directive)} (${where(directive)})`).join(' ')];
  config.push({
    key: 'rules',
    value: new Entries(rulesEntries(plan.rules)),
    comments: [
      ...rulesComment(plan.rules),
      ...(plan.rules.from.some((directive) => directive.name === 'client_max_body_size') ? [] : [`nginx's client_max_body_size where none is set: ${NGINX_MAX_BODY_SIZE} bytes (1m).`]),
    ],
  });
  const single = plan.sites.length === 1 && plan.sites[0]!.serverName.length === 1 && plan.sites[0]!.serverName[0] === '_';
  if (single) {
    config.push({ key: 'routes', value: routesOf(plan.sites[0]!), comments: [`${describe(plan.sites[0]!.from)} (${where(plan.sites[0]!.from)})`] });
  } else if (plan.sites.length > 0) {
    config.push({
      key: 'sites',
      value: plan.sites.map((site) => {
        const entries: Entry[] = [
          { key: 'serverName', value: site.serverName.length === 1 ? site.serverName[0]! : site.serverName, comments: [`server (${where(site.from)})`, ...site.from.comments] },
        ];
        if (site.default) entries.push({ key: 'default', value: true });
        if (site.rules !== undefined) entries.push({ key: 'rules', value: new Entries(rulesEntries(site.rules)), comments: rulesComment(site.rules) });
        entries.push({ key: 'routes', value: routesOf(site) });
        return new Entries(entries);
      }),
    });
  }

  const gzip = plan.gzip;
  const edge = `defineEdge(${render(new Entries(config), gzip === undefined ? '' : '  ')})`;
  const lines = [
    `// Translated by \`gatehouse import nginx\` from ${from}.`,
    `// Run it on Node with \`${startCommand(plan, 'edge.ts')}\`; on Workers, export it`,
    "// through `worker()` from '@gatehouse/cloudflare' with `assets: assetsBinding(env.ASSETS)`.",
    "import { defineEdge } from '@gatehouse/edge-node';",
    ...(assetsFolder === undefined ? [] : ["import { folderAssets } from '@gatehouse/edge-node/assets';"]),
    ...(gzip === undefined ? [] : ["import { compress } from '@gatehouse/edge-node/compress';"]),
    ...(plan.accessLog === undefined ? [] : ["import { accessLogFile } from '@gatehouse/edge-node/access-log';"]),
    ...(zones.size === 0 ? [] : ["import { memoryCacheStore } from '@gatehouse/edge';"]),
    '',
    ...[...zones].flatMap(([zone, name]) => [...zoneComments(zone, where).map((comment) => `// ${comment}`), `const ${name} = memoryCacheStore({ maxBytes: ${zone.maxBytes} });`, '']),
    ...(readsCookies
      ? [
          "// nginx's $cookie_<name>: the cookie's value in the request's Cookie field, or null.",
          'function cookieOf(request: Request, name: string): string | null {',
          "  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {",
          "    const at = pair.indexOf('=');",
          '    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();',
          '  }',
          '  return null;',
          '}',
          '',
        ]
      : []),
    ...(gzip === undefined
      ? [`export default ${edge};`]
      : [
          `// ${gzip.from.map((directive) => `${shown(directive)} (${where(directive)})`).join(' ')}`,
          `// On Workers, leave compression to Cloudflare: export the edge without compress().`,
          'export default compress(',
          `  ${edge},`,
          `  ${render(gzipOptions(gzip), '  ')},`,
          ');',
        ]),
  ];
  const lost = plan.skipped.filter((skip) => skip.lost);
  const done = plan.skipped.filter((skip) => !skip.lost);
  if (lost.length > 0) {
    lines.push('', '// Not translated: do these by hand, or do without them.');
    for (const skip of lost) lines.push(`//   ${where(skip.directive)}  ${shown(skip.directive)}`, `//     ${skip.why}`);
  }
  if (done.length > 0) {
    lines.push('', '// Left out, with nothing lost.');
    for (const skip of done) lines.push(`//   ${where(skip.directive)}  ${shown(skip.directive)}`, `//     ${skip.why}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * How to run the edge written to `file` on Node: with the largest body a
 * route accepts, when that is past the server's own limit (gatehouse
 * start's 10 MiB), which comes first.
 */
export function startCommand(plan: EdgePlan, file: string): string {
  const largest = Math.max(
    ...[plan.rules, ...plan.sites.flatMap((site) => [site.rules, ...site.routes.map((route) => route.rules)])].map((rules) => rules?.maxBodySize ?? 0),
  );
  return `gatehouse start ${file}${largest > 10 * 1024 * 1024 ? ` --max-body-size ${largest === Infinity ? 'Infinity' : largest}` : ''}`;
}

/** A directive as written, shortened, for the lists. */
export function shown(directive: Directive): string {
  const text = [directive.name, ...directive.args.map((arg) => (/[\s;{}'"]/.test(arg) || arg === '' ? JSON.stringify(arg) : arg))].join(' ');
  const short = text.length > 70 ? `${text.slice(0, 67)}...` : text;
  return directive.block === undefined ? `${short};` : `${short} { … }`;
}

function describe(directive: Directive): string {
  return [directive.name, ...directive.args].join(' ');
}

function routeComments(route: PlannedRoute, where: (directive: Directive) => string): string[] {
  return [`${describe(route.from)} (${where(route.from)})`, ...route.from.comments];
}

function proxyOfRoute(action: PlannedAction): PlannedProxy | undefined {
  if ('proxy' in action) return action.proxy;
  if ('tryFiles' in action) return action.tryFiles;
  return undefined;
}

/** A zone's name as a constant of the module. */
function constantName(zone: string, taken: ReadonlySet<string>): string {
  let name = zone.replace(/[^\w$]+(.)?/g, (_, next: string | undefined) => next?.toUpperCase() ?? '');
  if (!/^[A-Za-z_$]/.test(name)) name = `zone${name}`;
  if (TAKEN.has(name) || RESERVED.has(name)) name = `${name}Zone`;
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}${n}`;
  return unique;
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return static super switch this throw true try typeof var void while with yield await implements interface package private protected public'.split(' '),
);

function zoneComments(zone: PlannedCacheZone, where: (directive: Directive) => string): string[] {
  return [
    `${shown(zone.from)} (${where(zone.from)})`,
    'Kept in this process\'s memory: the path, levels and the keys_zone size are the disk\'s, not needed here.',
    "Edges on several machines share one store: redisCacheStore(client) from '@gatehouse/edge-node/redis'.",
    zone.maxSizeGiven
      ? 'max_size was the disk\'s: lower maxBytes if this machine cannot spare that much memory.'
      : `No max_size (nginx would fill the disk): ${DEFAULT_CACHE_BYTES / 1024 / 1024} MiB of memory here; set what this machine can spare.`,
  ];
}

function filesOfRoute(action: PlannedAction): PlannedFiles | undefined {
  if ('static' in action) return action.static;
  if ('tryFiles' in action) return action.tryFiles;
  return undefined;
}

/** The deepest folder holding every one of `folders`. */
function commonFolder(folders: readonly string[]): string {
  const split = folders.map((folder) => folder.split('/').filter((part) => part !== ''));
  const common: string[] = [];
  for (let i = 0; split.every((parts) => i < parts.length && parts[i] === split[0]![i]); i++) common.push(split[0]![i]!);
  return `/${common.join('/')}`;
}

function poolCode(pool: PlannedPool): Entries {
  const entries: Entry[] = [
    {
      key: 'servers',
      value: pool.servers.map((server) => {
        const settings = Object.entries(server).filter(([key]) => key !== 'url');
        return settings.length === 0 ? server.url : new Entries(Object.entries(server).map(([key, value]) => ({ key, value: value as Code })));
      }),
    },
  ];
  if (pool.balance !== undefined) entries.push({ key: 'balance', value: typeof pool.balance === 'string' ? pool.balance : new Entries(Object.entries(pool.balance).map(([key, value]) => ({ key, value }))) });
  if (pool.connectTimeout !== undefined) entries.push({ key: 'connectTimeout', value: pool.connectTimeout });
  if (pool.responseTimeout !== undefined) entries.push({ key: 'responseTimeout', value: pool.responseTimeout });
  if (pool.retry !== undefined) entries.push({ key: 'retry', value: new Entries([{ key: 'on', value: pool.retry }]) });
  return new Entries(entries);
}

function gzipOptions(gzip: NonNullable<EdgePlan['gzip']>): Entries {
  const types = gzip.types.includes('*') ? new Raw('() => true') : new Raw(`(type) => [${gzip.types.map(quote).join(', ')}].includes(type.split(';')[0]!.trim().toLowerCase())`);
  return new Entries([
    { key: 'encodings', value: ['gzip'] },
    { key: 'level', value: new Entries([{ key: 'gzip', value: gzip.level }]) },
    { key: 'minLength', value: gzip.minLength },
    { key: 'types', value: types },
  ]);
}

function rulesEntries(rules: PlannedRules): Entry[] {
  const entries: Entry[] = [];
  if (rules.access !== undefined) entries.push({ key: 'access', value: rules.access });
  if (rules.maxBodySize !== undefined) entries.push({ key: 'maxBodySize', value: rules.maxBodySize === Infinity ? new Raw('Infinity') : rules.maxBodySize });
  if (rules.headers !== undefined) {
    const fields = Object.entries(rules.headers);
    entries.push({
      key: 'headers',
      value: new Entries(fields.map(([key, value]) => ({ key, value }))),
      ...(fields.length === 0 ? { comments: ["add_header here replaces the fields added above, as in nginx, and adds no fixed one itself."] } : {}),
    });
  }
  return entries;
}

function filesEntries(files: PlannedFiles, assetsFolder: string): Entry[] {
  const entries: Entry[] = [];
  const root = files.folder === assetsFolder ? '' : assetsFolder === '/' ? files.folder : files.folder.slice(assetsFolder.length);
  if (root !== '') entries.push({ key: 'root', value: root });
  if (files.stripPrefix !== undefined) entries.push({ key: 'stripPrefix', value: files.stripPrefix });
  if (files.index !== undefined) entries.push({ key: 'index', value: files.index });
  if (files.directoryRedirect !== undefined) entries.push({ key: 'directoryRedirect', value: files.directoryRedirect });
  if (files.cacheControl !== undefined) entries.push({ key: 'cacheControl', value: files.cacheControl });
  if (files.spaFallback !== undefined) entries.push({ key: 'spaFallback', value: files.spaFallback });
  return entries;
}

function proxyEntries(proxy: PlannedProxy, context: Context): Entry[] {
  const entries: Entry[] = [{ key: 'pool', value: proxy.pool }];
  if (proxy.host !== undefined) entries.push({ key: 'host', value: proxy.host });
  const rewrite = proxy.rewrite;
  if (rewrite !== undefined) {
    if ('prefix' in rewrite) entries.push({ key: 'rewrite', value: new Entries([{ key: 'prefix', value: rewrite.prefix }, { key: 'replacement', value: rewrite.replacement }]) });
    else {
      const regex = new RegExp(rewrite.pattern).toString();
      entries.push({ key: 'rewrite', value: new Raw(`(path) => path.replace(${regex}, ${quote(rewrite.replacement)})`) });
    }
  }
  if (proxy.buffering !== undefined) {
    const buffering = proxy.buffering;
    const comments = (proxy.bufferingFrom ?? []).map((directive) => `${shown(directive)} (${context.where(directive)})`);
    if (buffering !== false && buffering.requestFile === 0) comments.push('requestFile 0 too: else on Node a body past memory would go to a temp file, read whole before the server hears of it.');
    entries.push({
      key: 'buffering',
      value: buffering === false ? false : new Entries(Object.entries(buffering).map(([key, value]) => ({ key, value: value as number }))),
      comments,
    });
  }
  if (proxy.cache !== undefined) entries.push({ key: 'cache', value: cacheCode(proxy.cache, context), comments: sourceComments(proxy.cache, 'zone', context) });
  return entries;
}

/** The comments above a cache field: the nginx lines it came from, and what more there is to say. */
function sourceComments(cache: PlannedCache, field: CacheField, context: Context): string[] {
  const from = (cache.from[field] ?? []).map((directive) => `${shown(directive)} (${context.where(directive)})`);
  const why = cache.why[field];
  return why === undefined ? from : [...from, `${why}.`];
}

function cacheCode(cache: PlannedCache, context: Context): Entries {
  const entries: Entry[] = [{ key: 'store', value: new Raw(context.zones.get(cache.zone)!) }];
  const add = (field: CacheField, value: Code | undefined): void => {
    if (value === undefined) return;
    const comments = sourceComments(cache, field, context);
    entries.push({ key: field, value, ...(comments.length === 0 ? {} : { comments }) });
  };
  add('key', cache.key === undefined ? undefined : new Raw(keyFunction(cache.key)));
  add('ttl', cache.ttl === undefined || typeof cache.ttl === 'number' ? cache.ttl : new Entries(Object.entries(cache.ttl).map(([status, seconds]) => ({ key: status, value: seconds }))));
  add('keep', cache.keep);
  add('staleWhileRevalidate', cache.staleWhileRevalidate);
  add('staleIfError', cache.staleIfError);
  add('lockTimeout', cache.lockTimeout);
  add('bypass', cache.bypass === undefined ? undefined : new Raw(bypassFunction(cache.bypass)));
  add('statusHeader', cache.statusHeader);
  return new Entries(entries);
}

/** What each variable of a key is, in a function of `request` (and `url`, its URL). */
const KEY_EXPRESSIONS: Readonly<Record<KeyVariable, readonly string[]>> = {
  scheme: ['url.protocol.slice(0, -1)'],
  host: ['url.hostname'],
  http_host: ["request.headers.get('host') ?? ''"],
  request_uri: ['url.pathname', 'url.search'],
  uri: ['url.pathname'],
  args: ['url.search.slice(1)'],
  is_args: ["url.search === '' ? '' : '?'"],
  request_method: ['request.method'],
};

/** `proxy_cache_key` as a function of the request: a template of its parts. */
function keyFunction(parts: readonly KeyPart[]): string {
  const template = parts
    .map((part) => (typeof part === 'string' ? part.replace(/[`\\]|\$\{/g, (found) => `\\${found}`) : KEY_EXPRESSIONS[part.variable].map((expression) => `\${${expression}}`).join('')))
    .join('');
  const needsUrl = parts.some((part) => typeof part !== 'string' && KEY_EXPRESSIONS[part.variable].some((expression) => expression.startsWith('url.')));
  return needsUrl ? `(request) => {\n  const url = new URL(request.url);\n  return \`${template}\`;\n}` : `(request) => \`${template}\``;
}

/** proxy_cache_bypass and proxy_no_cache: a request skips the cache when one of the values is set and not "0". */
function bypassFunction(values: readonly BypassValue[]): string {
  const read = values.map((value) =>
    'cookie' in value ? `cookieOf(request, ${quote(value.cookie)})` : 'header' in value ? `request.headers.get(${quote(value.header)})` : `new URL(request.url).searchParams.get(${quote(value.arg)})`,
  );
  return `(request) => [${read.join(', ')}].some((value) => value !== null && value !== '' && value !== '0')`;
}

function actionCode(action: PlannedAction, context: Context): Code {
  const { assetsFolder } = context;
  if ('respond' in action) {
    const { status, body, headers } = action.respond;
    if (headers === undefined && body === undefined) return new Entries([{ key: 'respond', value: status }]);
    const respond: Entry[] = [{ key: 'status', value: status }];
    if (body !== undefined) respond.push({ key: 'body', value: body });
    if (headers !== undefined) respond.push({ key: 'headers', value: new Entries(Object.entries(headers).map(([key, value]) => ({ key, value }))) });
    return new Entries([{ key: 'respond', value: new Entries(respond) }]);
  }
  if ('redirect' in action) return new Entries([{ key: 'redirect', value: action.redirect }, { key: 'status', value: action.status }]);
  if ('static' in action) {
    const entries = filesEntries(action.static, assetsFolder);
    return new Entries([{ key: 'static', value: entries.length === 0 ? true : new Entries(entries) }]);
  }
  if ('proxy' in action) {
    const entries = proxyEntries(action.proxy, context);
    return new Entries([{ key: 'proxy', value: entries.length === 1 ? action.proxy.pool : new Entries(entries) }]);
  }
  const entries = [...proxyEntries(action.tryFiles, context), ...filesEntries(action.tryFiles, assetsFolder)];
  return new Entries([{ key: 'tryFiles', value: entries.length === 1 ? action.tryFiles.pool : new Entries(entries) }]);
}

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n').replaceAll('\r', '\\r')}'`;
}

function keyOf(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) || /^[1-9]\d*$/.test(key) ? key : quote(key);
}

function render(value: Code, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Raw) return value.text.replaceAll('\n', `\n${indent}`);
  const inner = `${indent}  `;
  if (value instanceof Entries) {
    if (value.entries.length === 0) return '{}';
    const simple = value.entries.every((entry) => entry.comments === undefined && typeof entry.value !== 'object');
    const parts = value.entries.map((entry) => `${keyOf(entry.key)}: ${render(entry.value, inner)}`);
    if (simple && parts.join(', ').length < 70) return `{ ${parts.join(', ')} }`;
    const lines = value.entries.map((entry, i) => {
      const comments = (entry.comments ?? []).map((comment) => `${inner}// ${comment}\n`).join('');
      return `${comments}${inner}${parts[i]},`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  const items = (value as readonly Code[]).map((item) => render(item, inner));
  if (items.every((item) => !item.includes('\n')) && items.join(', ').length < 70) return `[${items.join(', ')}]`;
  return `[\n${items.map((item) => `${inner}${item},`).join('\n')}\n${indent}]`;
}
