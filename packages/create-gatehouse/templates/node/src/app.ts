import { Hono } from 'hono';

/**
 * The App: a plain Hono app. Nothing in it knows which runtime serves it;
 * `gatehouse start` runs it on Node, in worker processes.
 */
export const app = new Hono();

app.get('/', (c) => c.text('Hello from Gatehouse!'));
app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') ?? 'world' }));

export default app;
