import { describe, expect, it } from 'vitest';
import { testContext } from '../_test-context.ts';
import { defineEdge } from '../define-edge.ts';

describe('status page', () => {
  const good = { fetch: () => new Response('ok') };
  const edge = defineEdge({
    status: { path: '/_status', token: 's3cret', access: ['allow 203.0.113.0/24', 'deny all'] },
    pools: { app: { servers: [{ app: good }, { url: 'http://127.0.0.1:9', backup: true }] } },
    routes: { '/': { proxy: { pool: 'app', onError: () => {} } } },
  });
  const get = (url: string, headers: Record<string, string> = {}) => Promise.resolve(edge.fetch(new Request(url, { headers }), {}, testContext));

  it('reports each server: state, in flight, req/s, error rate and latency, as JSON for scripts', async () => {
    for (let i = 0; i < 5; i++) await (await get('http://example.com/page')).text();
    const answer = await get('http://example.com/_status?format=json&token=s3cret');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const status = (await answer.json()) as { pools: { name: string; servers: Record<string, unknown>[] }[]; cache: unknown };
    expect(status.pools[0]!.name).toBe('app');
    expect(status.pools[0]!.servers[0]).toMatchObject({ id: 'app:0', backup: false, state: 'up', inFlight: 0, rps: 0.5, errorRate: 0 });
    expect(typeof status.pools[0]!.servers[0]!.p99).toBe('number');
    expect(status.pools[0]!.servers[1]).toMatchObject({ id: 'http://127.0.0.1:9', backup: true, rps: 0, errorRate: null, p50: null });
  });

  it('serves the HTML page that updates itself, by token in the query or the Authorization field', async () => {
    const page = await get('http://example.com/_status', { authorization: 'Bearer s3cret' });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('setInterval(refresh, 1000)');
  });

  it('refuses a wrong token, and a client the access rules deny', async () => {
    expect((await get('http://example.com/_status?token=nope')).status).toBe(403);
    const outside = await Promise.resolve(edge.fetch(new Request('http://example.com/_status?token=s3cret'), {}, { ...testContext, clientAddress: '198.51.100.1' }));
    expect(outside.status).toBe(403);
  });

  it('is never left unguarded', () => {
    expect(() => defineEdge({ status: { path: '/_status' }, routes: { '/': { respond: 'x' } } })).toThrow('status: guard it with access rules, a token, or both');
  });
});
