import { serve } from '@hono/node-server';
import { benchApp } from '../app.ts';

// With the global Request and Response left alone, as Gatehouse always does.
serve(
  {
    fetch: benchApp.fetch as never,
    port: Number(process.argv[2]),
    hostname: '127.0.0.1',
    overrideGlobalObjects: false,
  },
  () => console.log('ready'),
);
