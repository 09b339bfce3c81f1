import { createServer, type IncomingMessage } from 'node:http';
import { benchApp } from '../app.ts';

// Not an adapter: the least any adapter must do that hands the App a real
// Request and sends the real Response it returns, with no error handling,
// no limits, no abort signal and no backpressure. The gap between this and
// raw node:http is what real Request and Response objects cost in Node;
// the gap between this and an adapter is what the adapter adds.
//
// With a second argument, `backpressure`, it also does the one thing no
// adapter may leave out: it waits for 'drain' when Node's buffer is full,
// so a slow client holds the App's stream back instead of making the server
// keep all of it. Only answers past Node's 64 KiB high-water mark differ.
const backpressure = process.argv[3] === 'backpressure';
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
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (!res.write(chunk.value) && backpressure) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
