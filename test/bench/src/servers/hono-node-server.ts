import { serve } from '@hono/node-server';
import { benchApp } from '../app.ts';

// As users get it by default: it replaces the global Request and Response
// with its own lighter classes (what makes `new Request(request)` and
// `instanceof` checks misbehave in Apps).
serve({ fetch: benchApp.fetch as never, port: Number(process.argv[2]), hostname: '127.0.0.1' }, () =>
  console.log('ready'),
);
