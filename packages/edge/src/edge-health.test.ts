import type { App, ScheduledController } from '@gatehouse/core';
import { describe, expect, it, vi } from 'vitest';
import { testContext } from './_test-context.ts';
import { defineEdge } from './define-edge.ts';

const ctx = testContext;
const controller: ScheduledController = { cron: '* * * * *', scheduledTime: Date.now(), noRetry() {} };

/** An origin whose health endpoint says what `healthy` says (and counts in `probes`), and that answers its name otherwise. */
function origin(name: string, state: { healthy: boolean; probes?: number }): App {
  return {
    fetch: (request) => {
      if (new URL(request.url).pathname !== '/healthz') return new Response(name);
      state.probes = (state.probes ?? 0) + 1;
      return new Response(state.healthy ? 'ok' : 'sick', { status: state.healthy ? 200 : 503 });
    },
  };
}

describe('active health checks of an edge', () => {
  const a = { healthy: true };
  const b = { healthy: true };
  const edge = defineEdge({
    pools: {
      app: {
        servers: [{ app: origin('a', a) }, { app: origin('b', b) }],
        healthCheck: { path: '/healthz', interval: 60_000, timeout: 1_000 },
      },
    },
    routes: { '/': { proxy: 'app' } },
  });
  const bodies = async (count: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add(await (await edge.fetch(new Request('http://edge.test/'), {}, ctx)).text());
    return seen;
  };

  it('takes a server that fails its probe out on scheduled(), and back once it passes', async () => {
    expect(await bodies(4)).toEqual(new Set(['a', 'b']));
    b.healthy = false;
    await edge.scheduled(controller, {}, ctx);
    expect(await bodies(6)).toEqual(new Set(['a']));
    b.healthy = true;
    await edge.scheduled(controller, {}, ctx);
    expect(await bodies(4)).toEqual(new Set(['a', 'b']));
  });

  it('runs the checks on their interval after startHealthChecks()', async () => {
    const quick = { healthy: false, probes: 0 };
    // A failed probe marks a server down for two intervals: with the clock still,
    // it stays down until a probe passes, however late the requests below come.
    const now = Date.now();
    const interval = defineEdge({
      pools: {
        app: {
          servers: [{ app: origin('a', { healthy: true }) }, { app: origin('q', quick) }],
          healthCheck: { path: '/healthz', interval: 20, timeout: 1_000 },
          clock: () => now,
        },
      },
      routes: { '/': { proxy: 'app' } },
    });
    const stop = interval.startHealthChecks();
    try {
      // The first run starts at once; a run starts only after the one before it
      // has recorded what it found, and then on the interval's timer. So once q has
      // been probed twice, the first run's finding is in, and the timer works.
      await vi.waitFor(() => expect(quick.probes, 'probes of q').toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 10 });
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(await (await interval.fetch(new Request('http://edge.test/'), {}, ctx)).text());
      expect(seen).toEqual(new Set(['a']));
    } finally {
      stop();
    }
  }, 10_000);
});
