import { serve } from '@gatehouse/node';
import { app } from './app.ts';

const port = Number(process.env.PORT ?? 3000);
const server = await serve(app, { port, hostname: process.env.HOST ?? '127.0.0.1' });
console.log(`Gatehouse demo: a Hono app on @gatehouse/node, serving at ${server.url}`);
console.log('Press Ctrl+C to stop.');

const stop = (): void => {
  console.log('Stopping: letting requests in flight finish…');
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
