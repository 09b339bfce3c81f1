// Serve every JSON event in a directory through the handler and print what
// the App saw: a check against events the adapter was not written with.
//   node --conditions=@gatehouse/source scripts/check-events.ts <folder of HTTP event JSON files>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler } from '../src/index.ts';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: check-events.ts <directory of event JSON files>');
  process.exit(2);
}
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
let failures = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
  const result = (await serve(JSON.parse(readFileSync(join(dir, file), 'utf8')), context)) as { statusCode: number; body: string };
  if (result.statusCode !== 200) failures++;
  const seen = result.statusCode === 200 ? (JSON.parse(result.body) as { method: string; url: string }) : undefined;
  console.log(`${result.statusCode} ${file}${seen ? `  ${seen.method} ${seen.url}` : ''}`);
}
process.exit(failures === 0 ? 0 : 1);
