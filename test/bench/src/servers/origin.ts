import { createServer } from 'node:http';

// The origin behind both proxies: raw node:http, the cheapest answer Node gives.
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': '13' });
  res.end('Hello, World!');
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
