import { Hono } from 'hono';

/** The App: a plain Hono app. `src/index.ts` makes it a Worker. */
export const app = new Hono();

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') ?? 'world' }));
