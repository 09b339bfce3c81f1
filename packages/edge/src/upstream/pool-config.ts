import type { App } from '@gatehouse/core';
import type { HealthStore } from './health-store.ts';

/**
 * A pool of upstream servers, as nginx's `upstream` block describes one.
 * Durations are in milliseconds.
 */
export interface PoolConfig {
  /**
   * The pool's name: in the 502/504 answers the client gets (which never
   * show a server's address), and in health keys. Defaults to `upstream`.
   */
  readonly name?: string;
  /** The servers; at least one that is not a backup. */
  readonly servers: readonly ServerConfig[];
  /** How a server is chosen. Defaults to `'round-robin'` (weighted, smooth, like nginx's). */
  readonly balance?: Balance;
  /**
   * Failures within `failTimeout` that take a server down (nginx's
   * `max_fails`); 0 never takes it down. Defaults to 1. A server may set its own.
   */
  readonly maxFails?: number;
  /**
   * How long failures are counted for, and how long a server stays down
   * (nginx's `fail_timeout`). Defaults to 10 s. A server may set its own.
   */
  readonly failTimeout?: number;
  /** When a request goes on to the next server (nginx's `proxy_next_upstream`). */
  readonly retry?: RetryConfig;
  /** Time to establish a connection (nginx's `proxy_connect_timeout`). Defaults to 5 s; 0: none. */
  readonly connectTimeout?: number;
  /**
   * Time from sending the request to the response head (nginx's
   * `proxy_read_timeout`, for the head only). Defaults to 60 s; 0: none.
   */
  readonly responseTimeout?: number;
  /** Active health checks: probe each server's `path` every `interval` (see `checkPool`). */
  readonly healthCheck?: HealthCheckConfig;
  /**
   * What becomes of a request when every server, backups included, is
   * down: `'try'` (the default) tries the primary servers anyway, as
   * nginx did up to 1.11.4 and as Envoy's panic threshold does; `'fail'`
   * answers 502 at once, as nginx does since ("no live upstreams").
   */
  readonly allDown?: 'try' | 'fail';
  /** Where health state lives. Defaults to a new {@link MemoryHealthStore} per pool. */
  readonly store?: HealthStore;
  /** The clock, in milliseconds since the epoch. Defaults to `Date.now`; tests pass their own. */
  readonly clock?: () => number;
}

/**
 * One server: an `http:` or `https:` URL (a path in it prefixes every
 * request's path), or an object with the URL and its own settings, or a
 * Workers service binding, or an App in the same process.
 */
export type ServerConfig = string | UrlServerConfig | BindingServerConfig | AppServerConfig;

/** What every kind of server may set. */
export interface ServerSettings {
  /** Its share of requests relative to the others (nginx's `weight`). Defaults to 1. */
  readonly weight?: number;
  /** Used only while every primary server is down (nginx's `backup`). */
  readonly backup?: boolean;
  /** Overrides the pool's `maxFails`. */
  readonly maxFails?: number;
  /** Overrides the pool's `failTimeout`. */
  readonly failTimeout?: number;
  /** A name for logs and health keys. Defaults to the URL, `binding:<name>` or `app:<position>`. */
  readonly name?: string;
}

/** A server reached over HTTP by the pool's transport. */
export interface UrlServerConfig extends ServerSettings {
  readonly url: string;
  /**
   * A unix socket to connect to instead of the URL's host and port
   * (nginx's `server unix:/run/gunicorn.sock`); the URL still gives the
   * scheme and the Host sent (`http://localhost`). An absolute path. Only
   * a transport that says `unixSockets` reaches one: `http1Transport()` and
   * `undiciTransport()` on Node do; Workers' fetch does not.
   */
  readonly socket?: string;
}

/**
 * A Workers service binding: `env[binding].fetch(request)` at request
 * time. The request's URL and Host are the client's, with the rewritten
 * path; timeouts other than `responseTimeout` are the platform's.
 */
export interface BindingServerConfig extends ServerSettings {
  readonly binding: string;
}

/**
 * An App called in the same process (local runs, tests). It gets a
 * genuine Request with the client's URL and Host and the rewritten path,
 * the edge's `env` and `ctx`. An error it throws fails the exchange like a
 * broken connection; a `TransportError` it throws is taken as it is.
 */
export interface AppServerConfig extends ServerSettings {
  readonly app: App<never>;
}

/**
 * How a server is chosen among those that are up:
 *
 * - `'round-robin'`: smooth weighted round-robin, nginx's default: over
 *   any stretch of requests each server gets its weight's share, spread out
 *   (weights 5, 1, 1 give a a b a c a a), never in bursts.
 * - `'least-in-flight'`: the server with the fewest requests in flight
 *   relative to its weight (nginx's `least_conn`); ties by weighted
 *   round-robin. In flight means until the response body is done.
 * - `{ hash: … }`: consistent hashing (nginx's `hash … consistent`) of
 *   the client's address, a request header or a cookie, for sticky
 *   sessions. Each server owns `160 × weight` points of a ring, so adding
 *   or removing one server moves only about 1/N of the keys. When the
 *   key's server is down, the next one on the ring takes it. A request
 *   without the key (no cookie yet) goes round-robin.
 */
export type Balance =
  | 'round-robin'
  | 'least-in-flight'
  | { readonly hash: 'client-address' }
  | { readonly hash: 'header'; readonly name: string }
  | { readonly hash: 'cookie'; readonly name: string };

/** What makes a request go on to the next server (nginx's `proxy_next_upstream`). */
export interface RetryConfig {
  /**
   * The failures to retry: `'error'` (no connection, or it broke),
   * `'timeout'` (connect or response timeout), and response statuses
   * (`502`, `503`, `504`, `429`…: any 400–599). Defaults to
   * `['error', 'timeout']`. A listed status also counts as a failure
   * against the server (except 403 and 404, as in nginx); errors and
   * timeouts always do. `[]` turns retries off.
   */
  readonly on?: readonly RetryCondition[];
  /** At most this many attempts in all, the first included. Defaults to every server once. */
  readonly tries?: number;
  /** No new attempt starts once this long has passed since the first. Defaults to 0: no limit. */
  readonly timeout?: number;
}

/** One of {@link RetryConfig.on}. */
export type RetryCondition = 'error' | 'timeout' | number;

/** Active health checks (nginx Plus' `health_check`, or an external checker). */
export interface HealthCheckConfig {
  /** What to GET on each server, e.g. `/healthz`. */
  readonly path: string;
  /** How often, in milliseconds. */
  readonly interval: number;
  /** How long a probe may take before it counts as failed. */
  readonly timeout: number;
  /** The statuses that mean healthy. Defaults to any 2xx or 3xx. */
  readonly expectStatus?: number | readonly number[];
}
