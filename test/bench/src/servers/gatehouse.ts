import { serve } from '@gatehouse/node';
import { benchApp } from '../app.ts';

// An optional second argument: handlerTimeout in milliseconds.
const [port, handlerTimeout] = process.argv.slice(2).map(Number);
await serve(benchApp, { port, handlerTimeout });
console.log('ready');
