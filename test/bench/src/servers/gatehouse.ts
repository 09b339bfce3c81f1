import { serve } from '@gatehouse/node';
import { benchApp } from '../app.ts';

await serve(benchApp, { port: Number(process.argv[2]) });
console.log('ready');
