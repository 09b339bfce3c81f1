// The edge's active health checks in real workerd, driven by real scheduled
// events: worker/health.ts (the edge through worker(), with a cron trigger
// in worker/wrangler.health.toml) in front of two Node origins on 127.0.0.1.
// workerd runs a scheduled event in the isolate that serves the fetches, so
// the pool's default in-memory health store carries what the probes found
// to the requests that follow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeServer } from '@gatehouse/node';
import { serve } from '@gatehouse/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHarness, unstable_startWorker } from 'wrangler';

// No Request.cf download (offline it waits 3 s per start), and the
// workspace packages bundled from their sources, as the other tests use them.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_BUILD_CONDITIONS = '@gatehouse/source,workerd,worker,browser';

const CONFIG = join(import.meta.dirname, 'worker/wrangler.health.toml');
/** The cron of the Worker's own trigger, so the events carry what Cloudflare would send. */
const CRON = /^crons\s*=\s*\["([^"]+)"\]/m.exec(readFileSync(CONFIG, 'utf8'))![1]!;
/** Requests per look at the balancing: round-robin over two servers reaches both many times over. */
const REQUESTS = 10;

/** An origin whose `/healthz` answers as `healthy` says, and that counts what it is sent. */
interface Origin {
  name: string;
  server: NodeServer;
  healthy: boolean;
  /** The User-Agent of each `/healthz` request, in order. */
  probes: string[];
  /** How many other requests it answered. */
  served: number;
}

async function startOrigin(name: string, port = 0): Promise<Origin> {
  const origin: Origin = { name, server: undefined as never, healthy: true, probes: [], served: 0 };
  origin.server = await serve(
    {
      fetch(request) {
        if (new URL(request.url).pathname === '/healthz') {
          origin.probes.push(request.headers.get('user-agent') ?? '');
          return new Response(origin.healthy ? 'ok' : 'draining', { status: origin.healthy ? 200 : 503 });
        }
        // The API answers the same either way: only the active check can tell.
        origin.served++;
        return Response.json({ origin: name });
      },
    },
    { port, hostname: '127.0.0.1' },
  );
  return origin;
}

/** Ends `origin` at once, keep-alive connections and all: its port refuses connections from here on. */
async function kill(origin: Origin): Promise<void> {
  const closing = origin.server.close();
  (origin.server.server as { closeAllConnections?: () => void }).closeAllConnections?.();
  await closing;
}

/** A running edge Worker, and a way to deliver it a scheduled event. */
interface Edge {
  fetch(path: string): Promise<Response>;
  /** Fire the Worker's scheduled handler once, resolved when the handler (and its waitUntil work) has finished. */
  scheduled(cron: string): Promise<{ outcome: string }>;
  close(): Promise<void>;
}

/**
 * wrangler's startWorker: workerd connects to the origins itself, as on
 * Cloudflare. Its own `worker.scheduled()` cannot be used: in wrangler
 * 4.156.2 it looks the Worker up in the dev proxy's Miniflare, which does not
 * run it, and throws "worker not found". The trigger route is what
 * `wrangler dev` tells a developer to curl: miniflare dispatches a scheduled
 * event to the Worker and answers with its outcome.
 */
async function startWorker(origins: string): Promise<Edge> {
  const worker = await unstable_startWorker({
    config: CONFIG,
    bindings: { ORIGINS: { type: 'plain_text', value: origins } },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, watch: false, persist: false, logLevel: 'none' },
  });
  await worker.ready;
  const url = await worker.url;
  return {
    fetch: (path) => worker.fetch(new URL(path, url).href) as unknown as Promise<Response>,
    async scheduled(cron) {
      const response = await fetch(new URL(`/cdn-cgi/local/scheduled?format=json&cron=${encodeURIComponent(cron)}`, url), {
        signal: AbortSignal.timeout(10_000),
      });
      return (await response.json()) as { outcome: string };
    },
    close: () => worker.dispose(),
  };
}

/** wrangler's createTestHarness, whose Worker fetches its origins through Node's fetch. */
async function harness(origins: string): Promise<Edge> {
  const server = createTestHarness({ workers: [{ configPath: CONFIG, vars: { ORIGINS: origins } }] });
  await server.listen();
  return {
    fetch: (path) => server.fetch(path) as unknown as Promise<Response>,
    scheduled: (cron) => server.getWorker().scheduled({ cron, scheduledTime: new Date() }),
    close: () => server.close(),
  };
}

describe.each([
  ['startWorker, GET /cdn-cgi/local/scheduled', startWorker],
  ['createTestHarness, getWorker().scheduled()', harness],
] as const)('active health checks on a cron trigger (%s)', (_host, start) => {
  let a: Origin;
  let b: Origin;
  let edge: Edge;

  beforeAll(async () => {
    [a, b] = await Promise.all([startOrigin('A'), startOrigin('B')]);
    edge = await start(`${a.server.url},${b.server.url}`);
  });

  afterAll(async () => {
    await edge?.close();
    await Promise.all([a && kill(a), b && kill(b)]);
  });

  /** Which origins answered `REQUESTS` proxied GETs, each of which must succeed. */
  async function origins(): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await edge.fetch(`/api/item/${i}`);
      expect(response.status).toBe(200);
      seen.add(((await response.json()) as { origin: string }).origin);
    }
    return seen;
  }

  /** One scheduled event: it must succeed, and probe each running origin exactly once. */
  async function cron(running: readonly Origin[] = [a, b]): Promise<void> {
    const before = running.map((origin) => origin.probes.length);
    const result = await edge.scheduled(CRON);
    expect(result.outcome).toBe('ok');
    expect(running.map((origin, i) => origin.probes.length - before[i]!)).toEqual(running.map(() => 1));
  }

  it('probes every server on each scheduled event, and takes a failing one out until a later event finds it healthy', async () => {
    // No probe runs on its own: workerd runs cron triggers only when told to.
    expect([a.probes, b.probes]).toEqual([[], []]);
    await cron();
    expect([a.probes, b.probes]).toEqual([['gatehouse-health-check'], ['gatehouse-health-check']]);
    expect(await origins()).toEqual(new Set(['A', 'B']));

    // B starts failing its health check, while its API still answers: until
    // the next event, nothing in the requests tells the edge.
    b.healthy = false;
    expect(await origins()).toEqual(new Set(['A', 'B']));

    await cron();
    const servedByB = b.served;
    expect(await origins()).toEqual(new Set(['A']));
    expect(b.served).toBe(servedByB); // not tried and passed over: never sent a request

    // B recovers, but stays out until a probe has seen it.
    b.healthy = true;
    expect(await origins()).toEqual(new Set(['A']));
    expect(b.served).toBe(servedByB);

    await cron();
    expect(await origins()).toEqual(new Set(['A', 'B']));
    expect(b.served).toBeGreaterThanOrEqual(servedByB + REQUESTS / 2 - 1);
  });

  it('takes out a server that is down, and brings it back once it is up again and a later event has probed it', async () => {
    expect(await origins()).toEqual(new Set(['A', 'B']));
    const port = b.server.port;
    await kill(b);
    await cron([a]);
    // Every request goes to A. Under createTestHarness, whose Node fetch
    // turns a refused connection into a 500 answer, a request sent to B
    // would fail; under startWorker, passive failover would hide it.
    expect(await origins()).toEqual(new Set(['A']));

    b = await startOrigin('B', port);
    expect(await origins()).toEqual(new Set(['A']));
    expect(b.served).toBe(0);
    await cron();
    expect(await origins()).toEqual(new Set(['A', 'B']));
    expect(b.served).toBeGreaterThan(0);
  });
});
