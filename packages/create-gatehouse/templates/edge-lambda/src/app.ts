import { Hono } from 'hono';

/**
 * The origin: a plain Hono app. Nothing in it knows which runtime serves it;
 * `src/handler.ts` makes it a Lambda function.
 */
export const app = new Hono();

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') ?? 'world' }));

export default app;
