import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

const app = new Hono();
app.get('/hello', (c) => c.text(`Hello, ${c.req.query('name')}!`));

export const handler = handle(app);
