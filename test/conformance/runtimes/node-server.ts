// The conformance App on @gatehouse/node, in a process of its own, as it
// runs in production. Prints its URL as a line of JSON; stops on SIGTERM.
import { serve } from '@gatehouse/node';
import { conformanceApp } from '../src/app.ts';

const server = await serve(conformanceApp, {
  port: 0,
  // Above the suite's largest upload (400 MiB, for the memory check).
  maxBodySize: 512 * 1024 * 1024,
  // The suite makes the App fail on purpose; one line each is enough.
  onError: (error) => console.error(`[conformance] App error: ${(error as Error).message}`),
});
console.log(JSON.stringify({ url: server.url }));
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
