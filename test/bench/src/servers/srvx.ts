import { serve } from 'srvx';
import { benchApp } from '../app.ts';

const server = serve({
  fetch: (request) => benchApp.fetch(request, {}, undefined as never),
  port: Number(process.argv[2]),
  hostname: '127.0.0.1',
  silent: true,
});
await server.ready();
console.log('ready');
