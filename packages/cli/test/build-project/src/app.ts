import { Hono } from 'hono';

export const app = new Hono();
app.all('*', (c) => c.json({ from: 'bundle', path: c.req.path, method: c.req.method }));

export default app;
