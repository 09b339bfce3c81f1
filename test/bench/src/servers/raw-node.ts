import { createServer } from 'node:http';
import { STREAM_CHUNK, STREAM_CHUNKS } from '../app.ts';

// The same three routes written straight against node:http: the ceiling.
createServer((req, res) => {
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
  } else {
    res.writeHead(404);
    res.end('not found');
  }
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
