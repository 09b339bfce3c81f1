// The conformance App behind the edge tier on Node, as nginx would stand in
// front of an app server: an origin process's App, reached through
// defineEdge's proxy served by @gatehouse/node. Arguments: the transport
// (`undici` or `http1`), and `no-head-answers` to serve the edge as a plain
// App, every request through a Request and a Response. Prints the edge's URL
// as a line of JSON; stops on SIGTERM.
import { defineEdge } from '@gatehouse/edge';
import { http1Transport, undiciTransport } from '@gatehouse/edge-node/transport';
import { serve } from '@gatehouse/node';
import { conformanceApp } from '../src/app.ts';

// Above the suite's largest upload (400 MiB, for the memory check), on both tiers.
const maxBodySize = 512 * 1024 * 1024;
const onError = (error: unknown): void => console.error(`[conformance] App error: ${(error as Error).message}`);

const origin = await serve(conformanceApp, { port: 0, maxBodySize, onError });
// The transport to the origin: `undici` (the default) or `http1`, the first argument.
const transport = process.argv[2] === 'http1' ? http1Transport() : undiciTransport();
const edgeApp = defineEdge({
  transport,
  pools: { app: { servers: [origin.url] } },
  // The suite checks what the App sees of a request body as it is sent
  // (chunk by chunk, a client that leaves mid-body): streamed, as a route
  // for such an App asks. Answers keep the default read-ahead, which must
  // change nothing the suite can see.
  routes: { '/': { proxy: { pool: 'app', host: 'client', buffering: { request: 0 } } } },
});
// Without its answers from the request head, the edge is `fetch` alone.
const headAnswers = process.argv[3] !== 'no-head-answers';
const edge = await serve(headAnswers ? edgeApp : { fetch: edgeApp.fetch }, { port: 0, maxBodySize, onError });
console.log(JSON.stringify({ url: edge.url }));
process.once('SIGTERM', () => {
  void Promise.all([edge.close(), origin.close()])
    .then(() => transport.close())
    .then(() => process.exit(0));
});
