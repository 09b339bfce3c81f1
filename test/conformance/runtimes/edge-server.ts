// The conformance App behind the edge tier on Node, as nginx would stand in
// front of an app server: an origin process's App, reached through
// defineEdge's proxy (undici or http1 transport) served by @gatehouse/node. Prints
// the edge's URL as a line of JSON; stops on SIGTERM.
import { serve } from '@gatehouse/node';
import { http1Transport, undiciTransport } from '@gatehouse/node/upstream';
import { defineEdge } from '@gatehouse/edge';
import { conformanceApp } from '../src/app.ts';

// Above the suite's largest upload (150 MiB, for the memory check), on both tiers.
const maxBodySize = 256 * 1024 * 1024;
const onError = (error: unknown): void => console.error(`[conformance] App error: ${(error as Error).message}`);

const origin = await serve(conformanceApp, { port: 0, maxBodySize, onError });
// The transport to the origin: `undici` (the default) or `http1`, the first argument.
const transport = process.argv[2] === 'http1' ? http1Transport() : undiciTransport();
const edge = await serve(
  defineEdge({
    transport,
    pools: { app: { servers: [origin.url] } },
    routes: { '/': { proxy: { pool: 'app', host: 'client' } } },
  }),
  { port: 0, maxBodySize, onError },
);
console.log(JSON.stringify({ url: edge.url }));
process.once('SIGTERM', () => {
  void Promise.all([edge.close(), origin.close()])
    .then(() => transport.close())
    .then(() => process.exit(0));
});
