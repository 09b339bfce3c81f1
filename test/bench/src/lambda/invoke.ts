// Runs in a fresh process: load one bundled handler, time its init and first
// call, then the mean time per call over a bounded loop. Prints JSON.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { context, helloEvent } from './event.ts';

const [bundle, seconds = '2'] = process.argv.slice(2);
const t0 = performance.now();
const { handler } = (await import(pathToFileURL(bundle!).href)) as {
  handler: (event: unknown, context: unknown) => Promise<{ statusCode?: number; body?: string }>;
};
const t1 = performance.now();
const first = await handler(structuredClone(helloEvent), context);
const t2 = performance.now();
if (first.statusCode !== undefined && (first.statusCode !== 200 || first.body !== 'Hello, bench!')) {
  throw new Error(`unexpected result: ${JSON.stringify(first)}`);
}

// Warm up, then measure for a fixed time. The adapters only read the event,
// so one object serves every call.
const event = structuredClone(helloEvent);
const warmUntil = performance.now() + 500;
while (performance.now() < warmUntil) await handler(event, context);
let calls = 0;
const start = performance.now();
const stop = start + Number(seconds) * 1000;
while (performance.now() < stop) {
  for (let i = 0; i < 1000; i++) await handler(event, context);
  calls += 1000;
}
const perCall = ((performance.now() - start) * 1000) / calls;
console.log(JSON.stringify({ init: t1 - t0, first: t2 - t1, perCall }));
