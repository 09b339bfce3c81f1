import type { App } from '@gatehouse/core';
import type { HealthStore } from './health-store.ts';
import { MemoryHealthStore } from './memory-health-store.ts';
import type { Balance, HealthCheckConfig, PoolConfig, ServerConfig } from './pool-config.ts';

/** One server, checked and with every default filled in. */
export interface UpstreamServer {
  /** Its name: the URL as normalised, `binding:<name>`, `app:<position>`, or the name it was given. */
  readonly id: string;
  /** Its key in the health store: `"<pool> <id>"`. */
  readonly key: string;
  /** For a URL server, its origin (`http://10.0.0.7:8080`); `undefined` otherwise. */
  readonly origin: string | undefined;
  /** For a URL server, the Host it answers to (`10.0.0.7:8080`); `undefined` otherwise. */
  readonly host: string | undefined;
  /** The path every request's path is appended to: `''`, or `/base` from `http://x/base/`. */
  readonly basePath: string;
  /** For a URL server reached through a unix socket, its path. */
  readonly socket: string | undefined;
  /** For a service binding, its name in `env`. */
  readonly binding: string | undefined;
  /** For an in-process server, the App. */
  readonly app: App<never> | undefined;
  readonly weight: number;
  readonly backup: boolean;
  readonly maxFails: number;
  readonly failTimeout: number;
}

/** When a request goes on to the next server, compiled from `retry`. */
export interface RetrySettings {
  readonly errors: boolean;
  readonly timeouts: boolean;
  readonly statuses: ReadonlySet<number>;
  readonly tries: number;
  readonly timeout: number;
}

/** A pool's configuration, checked and with every default filled in. */
export interface PoolSettings {
  readonly name: string;
  readonly primaries: readonly UpstreamServer[];
  readonly backups: readonly UpstreamServer[];
  readonly balance: Balance;
  readonly retry: RetrySettings;
  readonly connectTimeout: number;
  readonly responseTimeout: number;
  readonly healthCheck: HealthCheckConfig | undefined;
  readonly allDown: 'try' | 'fail';
  readonly store: HealthStore;
  readonly clock: () => number;
}

const POOL_KEYS = new Set([
  'name', 'servers', 'balance', 'maxFails', 'failTimeout', 'retry', 'connectTimeout',
  'responseTimeout', 'healthCheck', 'allDown', 'store', 'clock',
]);
const SERVER_KEYS = new Set(['url', 'socket', 'binding', 'app', 'weight', 'backup', 'maxFails', 'failTimeout', 'name']);
const RETRY_KEYS = new Set(['on', 'tries', 'timeout']);
const CHECK_KEYS = new Set(['path', 'interval', 'timeout', 'expectStatus']);

/** Check a pool's configuration; throws an Error that says what is wrong and where. */
export function normalizePool(config: PoolConfig): PoolSettings {
  if (typeof config !== 'object' || config === null) throw new TypeError('a pool is configured with an object');
  const name = config.name ?? 'upstream';
  if (typeof name !== 'string' || name === '' || /[\s"]/.test(name)) {
    throw new TypeError(`pool name ${JSON.stringify(name)} must be a non-empty string without spaces or quotes`);
  }
  const fail = (message: string): never => {
    throw new TypeError(`pool "${name}": ${message}`);
  };
  unknownKeys(config, POOL_KEYS, 'pool', fail);

  const maxFails = count(config.maxFails, 1, 'maxFails', fail);
  const failTimeout = duration(config.failTimeout, 10_000, 'failTimeout', fail);
  const connectTimeout = duration(config.connectTimeout, 5_000, 'connectTimeout', fail);
  const responseTimeout = duration(config.responseTimeout, 60_000, 'responseTimeout', fail);

  if (!Array.isArray(config.servers) || config.servers.length === 0) fail('servers must be a non-empty array');
  const primaries: UpstreamServer[] = [];
  const backups: UpstreamServer[] = [];
  const ids = new Set<string>();
  config.servers.forEach((server, index) => {
    const normalized = normalizeServer(server, index, name, maxFails, failTimeout, fail);
    if (ids.has(normalized.id)) {
      fail(`servers[${index}]: "${normalized.id}" is listed twice (give it a weight instead, or distinct names)`);
    }
    ids.add(normalized.id);
    (normalized.backup ? backups : primaries).push(normalized);
  });
  if (primaries.length === 0) fail('every server is a backup: at least one must not be');

  const balance = normalizeBalance(config.balance, fail);
  const retry = normalizeRetry(config.retry, primaries.length + backups.length, fail);
  const healthCheck = normalizeHealthCheck(config.healthCheck, fail);

  const allDown = config.allDown ?? 'try';
  if (allDown !== 'try' && allDown !== 'fail') fail(`allDown must be 'try' or 'fail', not ${show(allDown)}`);
  const store = config.store ?? new MemoryHealthStore();
  if (typeof store !== 'object' || store === null || typeof store.down !== 'function' || typeof store.fail !== 'function') {
    fail('store must be a HealthStore (fail, succeed, markDown, down)');
  }
  const clock = config.clock ?? Date.now;
  if (typeof clock !== 'function') fail('clock must be a function returning milliseconds');

  return {
    name, primaries, backups, balance, retry, connectTimeout, responseTimeout, healthCheck, allDown, store, clock,
  };
}

function normalizeServer(
  server: ServerConfig,
  index: number,
  pool: string,
  maxFailsDefault: number,
  failTimeoutDefault: number,
  failPool: (message: string) => never,
): UpstreamServer {
  const where = `servers[${index}]`;
  const fail = (message: string): never => failPool(`${where}: ${message}`);
  const config = typeof server === 'string' ? { url: server } : server;
  if (typeof config !== 'object' || config === null) {
    fail(`a server is a URL string or an object with url, binding or app, not ${show(server)}`);
  }
  unknownKeys(config, SERVER_KEYS, 'server', fail);
  const kinds = ['url', 'binding', 'app'].filter((key) => (config as unknown as Record<string, unknown>)[key] !== undefined);
  if (kinds.length !== 1) fail(`give exactly one of url, binding or app (got ${kinds.length === 0 ? 'none' : kinds.join(' and ')})`);

  const weight = config.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 1 || weight > 1000) fail(`weight must be an integer from 1 to 1000, not ${show(weight)}`);
  const backup = config.backup ?? false;
  if (typeof backup !== 'boolean') fail(`backup must be true or false, not ${show(backup)}`);
  const maxFails = count(config.maxFails, maxFailsDefault, 'maxFails', fail);
  const failTimeout = duration(config.failTimeout, failTimeoutDefault, 'failTimeout', fail);
  if (config.name !== undefined && (typeof config.name !== 'string' || config.name === '')) {
    fail(`name must be a non-empty string, not ${show(config.name)}`);
  }

  let id: string;
  let origin: string | undefined;
  let host: string | undefined;
  let basePath = '';
  let socket: string | undefined;
  let binding: string | undefined;
  let app: App<never> | undefined;
  if ('url' in config && config.url !== undefined) {
    const parsed = parseServerUrl(config.url, fail);
    origin = parsed.origin;
    host = parsed.host;
    basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/+$/, '');
    id = origin + basePath;
    const given = (config as { socket?: unknown }).socket;
    if (given !== undefined) {
      if (typeof given !== 'string' || !given.startsWith('/')) fail(`socket must be the absolute path of a unix socket, not ${show(given)}`);
      socket = given as string;
      id = `unix:${socket}${basePath}`;
    }
  } else if ((config as { socket?: unknown }).socket !== undefined) {
    return fail('socket goes with a url (the scheme and Host to use), not with a binding or an app');
  } else if ('binding' in config && config.binding !== undefined) {
    if (typeof config.binding !== 'string' || config.binding === '') fail(`binding must be the name of a service binding, not ${show(config.binding)}`);
    binding = config.binding;
    id = `binding:${binding}`;
  } else {
    const given = (config as { app: unknown }).app;
    if (typeof given !== 'object' || given === null || typeof (given as App).fetch !== 'function') {
      fail('app must be an App: an object with a fetch(request, env, ctx) method');
    }
    app = given as App<never>;
    id = `app:${index}`;
  }
  if (config.name !== undefined) id = config.name;
  return { id, key: `${pool} ${id}`, origin, host, basePath, socket, binding, app, weight, backup, maxFails, failTimeout };
}

function parseServerUrl(url: unknown, fail: (message: string) => never): URL {
  if (typeof url !== 'string') return fail(`url must be a string, not ${show(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${JSON.stringify(url)} is not an absolute URL (write it as http://host:port)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`${JSON.stringify(url)}: only http: and https: servers are supported`);
  if (parsed.username !== '' || parsed.password !== '') fail(`${JSON.stringify(url)}: credentials do not belong in a server URL (set an Authorization header instead)`);
  if (parsed.search !== '' || parsed.hash !== '') fail(`${JSON.stringify(url)}: a server URL has no query or fragment`);
  return parsed;
}

function normalizeBalance(balance: Balance | undefined, fail: (message: string) => never): Balance {
  if (balance === undefined || balance === 'round-robin' || balance === 'least-in-flight') return balance ?? 'round-robin';
  if (typeof balance === 'object' && balance !== null) {
    if (balance.hash === 'client-address') return balance;
    if (balance.hash === 'header' || balance.hash === 'cookie') {
      const { name } = balance;
      if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
        fail(`balance: hashing by ${balance.hash} needs the ${balance.hash}'s name, not ${show(name)}`);
      }
      return { hash: balance.hash, name: balance.hash === 'header' ? name.toLowerCase() : name };
    }
  }
  return fail(
    `balance must be 'round-robin', 'least-in-flight', { hash: 'client-address' }, { hash: 'header', name } or { hash: 'cookie', name }, not ${show(balance)}`,
  );
}

function normalizeRetry(
  retry: PoolConfig['retry'],
  servers: number,
  failPool: (message: string) => never,
): RetrySettings {
  const fail = (message: string): never => failPool(`retry: ${message}`);
  if (retry !== undefined) {
    if (typeof retry !== 'object' || retry === null) fail('must be an object { on, tries, timeout }');
    unknownKeys(retry, RETRY_KEYS, 'retry', fail);
  }
  const on = retry?.on ?? ['error', 'timeout'];
  if (!Array.isArray(on)) fail(`on must be an array of 'error', 'timeout' and statuses, not ${show(on)}`);
  let errors = false;
  let timeouts = false;
  const statuses = new Set<number>();
  for (const condition of on) {
    if (condition === 'error') errors = true;
    else if (condition === 'timeout') timeouts = true;
    else if (Number.isInteger(condition) && (condition as number) >= 400 && (condition as number) <= 599) statuses.add(condition as number);
    else fail(`on: ${show(condition)} is neither 'error', 'timeout' nor a status from 400 to 599`);
  }
  const tries = retry?.tries ?? servers;
  if (!Number.isInteger(tries) || tries < 1) fail(`tries must be a positive integer, not ${show(tries)}`);
  const timeout = duration(retry?.timeout, 0, 'timeout', fail);
  return { errors, timeouts, statuses, tries: Math.min(tries, servers), timeout };
}

function normalizeHealthCheck(
  check: HealthCheckConfig | undefined,
  failPool: (message: string) => never,
): HealthCheckConfig | undefined {
  if (check === undefined) return undefined;
  const fail = (message: string): never => failPool(`healthCheck: ${message}`);
  if (typeof check !== 'object' || check === null) fail('must be an object { path, interval, timeout, expectStatus }');
  unknownKeys(check, CHECK_KEYS, 'healthCheck', fail);
  if (typeof check.path !== 'string' || !check.path.startsWith('/')) fail(`path must start with "/", not ${show(check.path)}`);
  for (const key of ['interval', 'timeout'] as const) {
    const value = check[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${key} must be a positive number of milliseconds, not ${show(value)}`);
  }
  const expected = check.expectStatus;
  if (expected !== undefined) {
    const list = typeof expected === 'number' ? [expected] : expected;
    if (!Array.isArray(list) || list.length === 0 || !list.every((status) => Number.isInteger(status) && status >= 100 && status <= 599)) {
      fail(`expectStatus must be a status or a non-empty array of statuses, not ${show(expected)}`);
    }
  }
  return check;
}

function count(value: unknown, fallback: number, name: string, fail: (message: string) => never): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0) fail(`${name} must be an integer ≥ 0, not ${show(value)}`);
  return value as number;
}

function duration(value: unknown, fallback: number, name: string, fail: (message: string) => never): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${name} must be a number of milliseconds ≥ 0, not ${show(value)}`);
  }
  return value as number;
}

function unknownKeys(object: object, known: ReadonlySet<string>, what: string, fail: (message: string) => never): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) fail(`unknown ${what} setting "${key}" (known: ${[...known].join(', ')})`);
  }
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
