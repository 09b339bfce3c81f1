import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';

// The ceiling of Node for the edge's two jobs, without any web object (no
// Request, Response or stream): node:http in front, undici's dispatcher to
// the origin (what @gatehouse/edge-node/transport uses), files answered from
// memory with their head written once. Not a product: it does none of the
// HTTP the edge does (no validators, ranges, hop-by-hop fields, retries),
// so it shows how much of the gap to nginx is Node's and undici's own.
// Arguments: port, origin URL, the folder that holds static/.
const [port, origin, dir] = process.argv.slice(2);
const agent = new Agent({ pipelining: 1, keepAliveTimeout: 4_000 });
const files = new Map<string, Buffer>();
for (const name of ['1k.txt', '100k.txt']) files.set(`/static/${name}`, readFileSync(join(dir!, 'static', name)));

class Exchange implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #chunks: Buffer[] = [];
  #status = 502;
  #type: string | undefined;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = status;
    this.#type = headers['content-type'] as string | undefined;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = Buffer.concat(this.#chunks);
    this.#res.writeHead(this.#status, { 'content-type': this.#type ?? 'application/octet-stream', 'content-length': body.byteLength });
    this.#res.end(body);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    console.error(`bare-node: ${error.message}`);
    this.#res.writeHead(502);
    this.#res.end();
  }
}

createServer((req: IncomingMessage, res: ServerResponse) => {
  const file = files.get(req.url ?? '');
  if (file !== undefined) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': file.byteLength, 'accept-ranges': 'bytes' });
    res.end(file);
    return;
  }
  agent.dispatch({ origin: origin!, path: req.url ?? '/', method: 'GET', headers: { host: req.headers.host ?? '' } }, new Exchange(res));
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
