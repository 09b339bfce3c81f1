import type { Context } from '@gatehouse/core';
import { exchangeWith } from './_exchange-with.ts';
import type { UpstreamServer } from './_normalize.ts';
import { fetchTransport } from './fetch-transport.ts';
import type { Pool } from './pool.ts';
import type { Transport } from './transport.ts';

/** What one probe found. */
export interface HealthReport {
  /** The server's id (its URL, `binding:<name>`, `app:<n>` or its name). */
  readonly server: string;
  readonly up: boolean;
  /** The status it answered, if it answered. */
  readonly status: number | undefined;
  /** Why it failed, if it did not answer. */
  readonly error: string | undefined;
}

/** Options of {@link checkPool} and {@link startHealthChecks}. */
export interface HealthCheckOptions {
  /** How URL servers are probed. Defaults to `fetchTransport`. */
  readonly transport?: Transport;
  /** The env service bindings are looked up in (and in-process Apps get). */
  readonly env?: unknown;
}

const PROBE_CONTEXT: Context = {
  waitUntil(promise) {
    promise.catch(() => {});
  },
  passThroughOnException() {},
  clientAddress: undefined,
  runtime: 'unknown',
  props: {},
};

/**
 * Probe every server of `pool` once: `GET <healthCheck.path>` within
 * `healthCheck.timeout`. A server that answers an expected status (any
 * 2xx or 3xx unless `expectStatus` says otherwise) is marked up, its
 * failures forgotten; one that does not is marked down until a later probe
 * passes, or for twice the interval if none comes (a checker that stopped
 * cannot keep a server out for ever). Between probes, passive health goes
 * on as usual.
 *
 * On Node call it from an interval ({@link startHealthChecks}); on
 * Workers from a cron trigger's `scheduled()`, with the Worker's `env`
 * and a store shared across isolates.
 *
 * @example
 * ```ts
 * import { checkPool } from '@gatehouse/edge'
 *
 * export default {
 *   fetch: edge.fetch,
 *   async scheduled(_controller, env) {
 *     await checkPool(pool, { env })
 *   },
 * }
 * ```
 */
export async function checkPool(pool: Pool, options: HealthCheckOptions = {}): Promise<HealthReport[]> {
  const check = pool.healthCheck;
  if (check === undefined) throw new TypeError(`pool "${pool.name}" has no healthCheck to run`);
  const transport = options.transport ?? fetchTransport;
  const expected = check.expectStatus === undefined ? undefined : new Set(typeof check.expectStatus === 'number' ? [check.expectStatus] : check.expectStatus);
  return Promise.all(pool.servers.map((server) => probe(pool, server, transport, options.env, expected)));
}

async function probe(
  pool: Pool,
  server: UpstreamServer,
  transport: Transport,
  env: unknown,
  expected: ReadonlySet<number> | undefined,
): Promise<HealthReport> {
  const check = pool.healthCheck!;
  const url = (server.origin === undefined ? 'http://localhost' : server.origin + server.basePath) + check.path;
  const request = {
    method: 'GET',
    url,
    headers: ['host', server.host ?? 'localhost', 'user-agent', 'gatehouse-health-check'],
    body: null,
    socket: server.socket,
  };
  const timeout = check.timeout;
  const connectTimeout = pool.connectTimeout === 0 ? timeout : Math.min(pool.connectTimeout, timeout);
  let status: number | undefined;
  let error: string | undefined;
  try {
    const response = await exchangeWith(server, request, transport, { connectTimeout, responseTimeout: timeout, clientBodyTimeout: 0, signal: undefined }, env, PROBE_CONTEXT);
    status = response.status;
    response.body?.cancel().catch(() => {});
  } catch (failure) {
    error = (failure as Error)?.message ?? String(failure);
  }
  const up = status !== undefined && (expected === undefined ? status >= 200 && status < 400 : expected.has(status));
  const now = pool.clock();
  if (up) await pool.store.succeed(server.key, now);
  else await pool.store.markDown(server.key, now, now + 2 * check.interval);
  return { server: server.id, up, status, error };
}

/**
 * Run {@link checkPool} now and then every `healthCheck.interval` (each
 * run waits for the one before it), until the returned function is
 * called. Uses only timers, so it runs wherever they do; on Node the
 * timer does not keep the process alive.
 *
 * @example
 * ```ts
 * import { startHealthChecks } from '@gatehouse/edge'
 * import { undiciTransport } from '@gatehouse/edge-node/transport'
 *
 * const stop = startHealthChecks(pool, { transport: undiciTransport() })
 * process.once('SIGTERM', stop)
 * ```
 */
export function startHealthChecks(
  pool: Pool,
  options: HealthCheckOptions & { readonly onReport?: (reports: HealthReport[]) => void } = {},
): () => void {
  const check = pool.healthCheck;
  if (check === undefined) throw new TypeError(`pool "${pool.name}" has no healthCheck to run`);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async (): Promise<void> => {
    try {
      const reports = await checkPool(pool, options);
      if (!stopped) options.onReport?.(reports);
    } catch (error) {
      console.error(`[gatehouse] health checks of pool "${pool.name}" failed:`, error);
    }
    if (stopped) return;
    timer = setTimeout(run, check.interval);
    (timer as { unref?: () => void }).unref?.();
  };
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
