import { Hono } from 'hono';

/**
 * The demo origin: a plain Hono app. Nothing in it knows which runtime
 * serves it; `dev.ts` puts it on Node.
 */
export const app = new Hono();

app.get('/', (c) =>
  c.html(`<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Gatehouse demo</title></head>
  <body>
    <h1>Gatehouse</h1>
    <p>This Hono app is served by <code>@gatehouse/node</code>.</p>
    <ul>
      <li><a href="/api/hello?name=you">/api/hello?name=you</a></li>
      <li><a href="/api/time">/api/time</a> (streams a line a second)</li>
    </ul>
  </body>
</html>`),
);

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') ?? 'world', runtime: runtimeOf(c.executionCtx) }));

app.post('/api/echo', async (c) => c.json(await c.req.json()));

app.get('/api/time', (c) => {
  let sent = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const tick = (): void => {
        controller.enqueue(new TextEncoder().encode(`${new Date().toISOString()}\n`));
        if (++sent === 5) {
          clearInterval(timer);
          controller.close();
        }
      };
      tick();
      timer = setInterval(tick, 1000);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return c.body(body, 200, { 'content-type': 'text/plain; charset=utf-8' });
});

function runtimeOf(ctx: unknown): string {
  return typeof ctx === 'object' && ctx !== null && 'runtime' in ctx ? String(ctx.runtime) : 'unknown';
}
