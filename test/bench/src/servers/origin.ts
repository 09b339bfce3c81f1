import { createServer } from 'node:http';

// The origin behind both proxies: raw node:http, the cheapest answer Node gives.
// Under /cached/, a 1 KiB page any shared cache may keep for an hour.
const page = 'The quick brown fox jumps over the lazy dog, 0123456789.\n'.repeat(18).slice(0, 1024);
createServer((req, res) => {
  if (req.url!.startsWith('/cached/')) {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': '1024', 'cache-control': 'max-age=3600' });
    res.end(page);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': '13' });
  res.end('Hello, World!');
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
