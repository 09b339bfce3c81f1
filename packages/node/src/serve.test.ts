import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, deferred, sleep, start } from './_test-helpers.ts';

afterEach(closeAll);

describe('serve', () => {
  it('listens on 127.0.0.1 by default and reports where', async () => {
    const server = await start({ fetch: () => new Response('hi') });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(await (await fetch(server.url)).text()).toBe('hi');
  });

  it('passes env to the App, process.env by default', async () => {
    const app = { fetch: (_r: Request, env: Record<string, unknown>) => new Response(String(env.GREETING)) };
    const given = await start(app as never, { env: { GREETING: 'from options' } } as never);
    expect(await (await fetch(given.url)).text()).toBe('from options');
    process.env.GREETING = 'from process.env';
    const fallback = await start(app as never);
    expect(await (await fetch(fallback.url)).text()).toBe('from process.env');
    delete process.env.GREETING;
  });

  it('starts with a requestTimeout shorter than the default headersTimeout', async () => {
    const server = await start({ fetch: () => new Response('hi') }, { requestTimeout: 5_000 });
    expect(await (await fetch(server.url)).text()).toBe('hi');
  });

  it('rejects when the port is taken', async () => {
    const first = await start({ fetch: () => new Response('first') });
    await expect(start({ fetch: () => new Response('second') }, { port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('graceful close', () => {
  it('finishes requests in flight and waitUntil work, then stops', async () => {
    const release = deferred();
    const order: string[] = [];
    const server = await start({
      async fetch(_request, _env, ctx) {
        ctx.waitUntil(
          (async () => {
            await release.promise;
            await sleep(50);
            order.push('waitUntil done');
          })(),
        );
        await release.promise;
        order.push('response');
        return new Response('finished');
      },
    });
    const inFlight = fetch(server.url).then((r) => r.text());
    await sleep(50);
    const closed = server.close().then(() => order.push('closed'));
    await sleep(50);
    // Closing: new connections are refused while the old request goes on.
    await expect(fetch(server.url)).rejects.toThrow('fetch failed');
    release.resolve();
    expect(await inFlight).toBe('finished');
    await closed;
    expect(order).toEqual(['response', 'waitUntil done', 'closed']);
  });

  it('tells a request in flight when the close began to close its connection', async () => {
    const release = deferred();
    const server = await start({
      fetch: async () => {
        await release.promise;
        return new Response('last');
      },
    });
    const answer = fetch(server.url);
    await sleep(50);
    const closed = server.close();
    release.resolve();
    const response = await answer;
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.text()).toBe('last');
    await closed;
  });

  it('closes idle keep-alive connections at once, without waiting for the deadline', async () => {
    // Were the idle connection waited for, close() would take the whole minute
    // and the test would run out of its few seconds.
    const server = await start({ fetch: () => new Response('hi') }, { gracefulTimeout: 60_000 });
    await (await fetch(server.url)).text(); // leaves a keep-alive connection in undici's pool
    await server.close();
    expect(server.server.listening).toBe(false);
  });

  it('cuts what is still running when the deadline passes', async () => {
    const arrived = deferred();
    const server = await start(
      { fetch: () => (arrived.resolve(), new Promise<Response>(() => {})) }, // never answers
      { gracefulTimeout: 100 },
    );
    const hung = fetch(server.url).then(
      () => 'answered',
      () => 'cut',
    );
    // The App has the request: a refused connection cannot pass for a cut.
    await arrived.promise;
    await server.close();
    expect(await hung).toBe('cut');
  });

  it('reports failed waitUntil work to the error hook, with its request', async () => {
    const reported = deferred<[unknown, string | undefined]>();
    const server = await start(
      {
        fetch: (_request, _env, ctx) => {
          ctx.waitUntil(Promise.reject(new Error('background job failed')));
          return new Response('ok');
        },
      },
      { onError: (error, req) => reported.resolve([error, req.url]) },
    );
    await (await fetch(`${server.url}job`)).text();
    const [error, url] = await reported.promise;
    expect((error as Error).message).toBe('background job failed');
    expect(url).toBe('/job');
  });

  it('returns the same promise when called twice', async () => {
    const server = await start({ fetch: () => new Response('hi') });
    expect(server.close()).toBe(server.close());
  });
});
