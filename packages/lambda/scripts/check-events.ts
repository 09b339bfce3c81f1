// Serve every HTTP event JSON file in a folder through the handler and print
// what the App saw; a file that is no HTTP event this adapter knows (a
// schedule, say) is listed as skipped. With no folder, the package's own
// fixtures (test/fixtures). Point it at events the adapter was not written
// with (see the README, "Checking events from elsewhere"):
//   npm run check:events [-- <folder of event JSON files>]
// Exit code 1 when any HTTP event fails to reach the App as a 200.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectSource, handler } from '../src/index.ts';

const dir = resolve(process.env.INIT_CWD ?? process.cwd(), process.argv[2] ?? fileURLToPath(new URL('../test/fixtures', import.meta.url)));
const app = {
  fetch: async (request: Request) =>
    Response.json({ method: request.method, url: request.url, body: request.body === null ? null : (await request.text()).length }),
};
const serve = handler(app, { onError: (error) => console.log(`    error: ${String(error)}`) });
const context = {
  functionName: 'check',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:check',
  memoryLimitInMB: '128',
  awsRequestId: 'check',
  logGroupName: 'check',
  logStreamName: 'check',
  getRemainingTimeInMillis: () => 30_000,
};
let files: string[];
try {
  files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
} catch (error) {
  console.error(`check-events: cannot read ${dir}: ${(error as Error).message}`);
  process.exit(2);
}
let failures = 0;
let served = 0;
for (const file of files) {
  const event: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const source = detectSource(event);
  if (source === undefined) {
    console.log(`--- ${file}  skipped: no HTTP event`);
    continue;
  }
  served++;
  const result = (await serve(event, context)) as { statusCode: number; body: string };
  if (result.statusCode !== 200) failures++;
  const seen = result.statusCode === 200 ? (JSON.parse(result.body) as { method: string; url: string }) : undefined;
  console.log(`${result.statusCode} ${file} (${source})${seen ? `  ${seen.method} ${seen.url}` : ''}`);
}
console.log(`${served} HTTP events from ${dir}, ${failures} failed`);
process.exit(failures === 0 && served > 0 ? 0 : 1);
