import type { App, ScheduledController } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { testContext } from './_test-context.ts';
import { defineEdge } from './define-edge.ts';

const ctx = testContext;
const controller: ScheduledController = { cron: '* * * * *', scheduledTime: Date.now(), noRetry() {} };

/** An origin whose health endpoint says what `healthy` says, and that answers its name otherwise. */
function origin(name: string, state: { healthy: boolean }): App {
  return {
    fetch: (request) =>
      new URL(request.url).pathname === '/healthz'
        ? new Response(state.healthy ? 'ok' : 'sick', { status: state.healthy ? 200 : 503 })
        : new Response(name),
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
    const quick = { healthy: false };
    const interval = defineEdge({
      pools: {
        app: {
          servers: [{ app: origin('a', { healthy: true }) }, { app: origin('q', quick) }],
          healthCheck: { path: '/healthz', interval: 20, timeout: 1_000 },
        },
      },
      routes: { '/': { proxy: 'app' } },
    });
    const stop = interval.startHealthChecks();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(await (await interval.fetch(new Request('http://edge.test/'), {}, ctx)).text());
      expect(seen).toEqual(new Set(['a']));
    } finally {
      stop();
    }
  });
});
