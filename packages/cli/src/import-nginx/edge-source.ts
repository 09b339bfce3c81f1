import { relative } from 'node:path';
import type { Directive } from './nginx-config.ts';
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
        const action = actionCode(route.action, assetsFolder ?? '/') as Entries;
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
    '',
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
  if (rules.headers !== undefined) entries.push({ key: 'headers', value: new Entries(Object.entries(rules.headers).map(([key, value]) => ({ key, value }))) });
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

function proxyEntries(proxy: PlannedProxy): Entry[] {
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
  return entries;
}

function actionCode(action: PlannedAction, assetsFolder: string): Code {
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
    const entries = proxyEntries(action.proxy);
    return new Entries([{ key: 'proxy', value: entries.length === 1 ? action.proxy.pool : new Entries(entries) }]);
  }
  const entries = [...proxyEntries(action.tryFiles), ...filesEntries(action.tryFiles, assetsFolder)];
  return new Entries([{ key: 'tryFiles', value: entries.length === 1 ? action.tryFiles.pool : new Entries(entries) }]);
}

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n').replaceAll('\r', '\\r')}'`;
}

function keyOf(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
}

function render(value: Code, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Raw) return value.text;
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
