// The origin behind the edge and nginx in the soak: the soak App on @gatehouse/node.
import { serve } from '@gatehouse/node';
import { soakApp } from './app.ts';

await serve(soakApp, { port: Number(process.argv[2]), hostname: '127.0.0.1', onError: () => {} });
console.log('ready');
