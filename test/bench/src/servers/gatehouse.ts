import { serve } from '@gatehouse/node';
import { benchApp } from '../app.ts';

// Optional arguments after the port: handlerTimeout and keepAliveTimeout, in
// milliseconds (0 for no handler timeout, the default).
const [port, handlerTimeout, keepAliveTimeout] = process.argv.slice(2).map(Number);
await serve(benchApp, { port, handlerTimeout, keepAliveTimeout });
console.log('ready');
