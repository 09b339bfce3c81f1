import { createReadStream, stat } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { STREAM_CHUNK, STREAM_CHUNKS } from '../app.ts';
import { API_ORIGIN, API_TOKEN, ITEMS, logLine, STATIC_DIR } from '../realistic-app.ts';
import { SSE_EVENT, SSE_HEAD, SSE_INTERVAL_MS } from '../sse.ts';

// The same routes written straight against node:http: the ceiling.
// An optional argument after the port: keepAliveTimeout in milliseconds
// (Node's default, 5 s, would close the idle connections the connections bench holds).
const [port, keepAliveTimeout] = process.argv.slice(2).map(Number);
const server = createServer((req, res) => {
  if (req.url!.startsWith('/api/') || req.url!.startsWith('/static/')) {
    realistic(req, res);
    return;
  }
  if (req.url === '/hello') {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
    res.end('Hello, World!');
  } else if (req.url === '/echo' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  } else if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let sent = 0;
    const write = (): void => {
      while (sent < STREAM_CHUNKS) {
        sent++;
        if (!res.write(STREAM_CHUNK)) {
          res.once('drain', write);
          return;
        }
      }
      res.end();
    };
    write();
  } else if (req.url === '/sse') {
    res.writeHead(200, SSE_HEAD);
    res.write(SSE_EVENT);
    const timer = setInterval(() => res.write(SSE_EVENT), SSE_INTERVAL_MS);
    res.on('close', () => clearInterval(timer));
  } else {
    res.writeHead(404);
    res.end('not found');
  }
});
if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
server.listen(port, '127.0.0.1', () => console.log('ready'));

/** What realistic-app.ts's Hono app does, by hand: log, CORS, the token check, then the route. */
function realistic(req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const path = req.url!;
  logLine(`<-- ${req.method} ${path}`);
  res.once('finish', () => logLine(`--> ${req.method} ${path} ${res.statusCode} ${Math.round(performance.now() - started)}ms`));
  if (path.startsWith('/static/')) {
    const file = join(STATIC_DIR, path.slice('/static/'.length));
    stat(file, (error, stats) => {
      if (error !== null) {
        res.writeHead(404);
        res.end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': String(stats.size),
        'last-modified': stats.mtime.toUTCString(),
      });
      createReadStream(file).pipe(res);
    });
    return;
  }
  if (req.headers.origin === API_ORIGIN) {
    res.setHeader('access-control-allow-origin', API_ORIGIN);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  }
  if (req.headers.authorization !== `Bearer ${API_TOKEN}`) {
    res.writeHead(401, { 'www-authenticate': 'Bearer realm=""' });
    res.end('Unauthorized');
    return;
  }
  if (path === '/api/items') {
    const body = JSON.stringify({ items: ITEMS, total: ITEMS.length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else if (path === '/api/upload' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: Buffer.concat(chunks).byteLength }));
    });
  } else {
    res.writeHead(404);
    res.end('not found');
  }
}
