import { createServer, type IncomingMessage } from 'node:http';
import { benchApp } from '../app.ts';

// Not an adapter: the least any adapter must do that hands the App a real
// Request and sends the real Response it returns, with no error handling,
// no limits, no abort signal and no backpressure. The gap between this and
// raw node:http is what real Request and Response objects cost in Node;
// the gap between this and an adapter is what the adapter adds.
const ctx = { waitUntil() {}, passThroughOnException() {}, clientAddress: undefined, runtime: 'node', props: {} };

function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      req.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      req.on('end', () => controller.close());
    },
  });
}

createServer(async (req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body: hasBody ? bodyOf(req) : null,
    duplex: 'half',
  } as RequestInit);
  const response = await benchApp.fetch(request, {}, ctx);
  const headers: string[] = [];
  for (const [name, value] of response.headers) headers.push(name, value);
  res.writeHead(response.status, headers);
  const reader = response.body!.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) res.write(chunk.value);
  res.end();
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
