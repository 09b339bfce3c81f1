import type { IncomingMessage, ServerResponse } from 'node:http';
import serverless from 'serverless-http';

// The same App as a plain Node request handler, the shape serverless-http wraps.
const app = (req: IncomingMessage & { query?: Record<string, string> }, res: ServerResponse): void => {
  const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name');
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8' });
  res.end(`Hello, ${name}!`);
};

export const handler = serverless(app);
