// Buffering on Node over real sockets, against an origin that serves one
// request at a time (as a gunicorn sync worker does): a slow uploader or a
// slow reader must hold the edge, not the origin, when the route buffers.
// Figures are printed; the assertions are on the order of events.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEdge, type NodeEdgeApp } from './define-edge.ts';
import { closeAll, socketTo, start } from './_test-helpers.ts';

// Past what the kernel's socket buffers on the way hold (several MiB on loopback), or they would do the buffering.
const DOWNLOAD = 48 * 1024 * 1024;

interface Served {
  path: string;
  arrived: number;
  bodyDone: number;
  finished: number;
  /** What the slow reader had received when the origin had sent all. */
  readerHad: number;
}

/** Bytes the slow reader of the response test has received so far. */
let readerGot = 0;

let origin: Server;
let originUrl = '';
const served: Served[] = [];
let edge: NodeEdgeApp;

beforeAll(async () => {
  // One request at a time: the next waits until the last one's response has gone.
  let busy: Promise<void> = Promise.resolve();
  origin = createServer((req, res) => {
    const arrived = performance.now();
    const turn = busy;
    let done!: () => void;
    busy = new Promise((resolve) => (done = resolve));
    void turn.then(() => {
      const record: Served = { path: req.url!, arrived, bodyDone: 0, finished: 0, readerHad: 0 };
      req.resume();
      req.on('end', () => {
        record.bodyDone = performance.now();
        res.on('finish', () => {
          record.finished = performance.now();
          record.readerHad = readerGot;
          served.push(record);
          done();
        });
        if (req.url!.endsWith('/download')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(DOWNLOAD) });
          const chunk = Buffer.alloc(64 * 1024, 1);
          let sent = 0;
          const pump = (): void => {
            while (sent < DOWNLOAD) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
        } else {
          res.end('pong');
        }
      });
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  edge = defineEdge({
    pools: { app: { servers: [originUrl] } },
    routes: {
      '/buffered/': { proxy: { pool: 'app', buffering: { request: 1024 * 1024, response: 64 * 1024 * 1024 } } },
      '/streamed/': { proxy: { pool: 'app', buffering: false } },
      // Nothing said: buffered, as nginx does.
      '/default/': { proxy: 'app' },
    },
  });
});

afterAll(async () => {
  await closeAll();
  await edge.close();
  origin.closeAllConnections();
  await new Promise((resolve) => origin.close(resolve));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A GET through the edge; resolves with when it was answered. */
function ping(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now()));
    })
      .on('error', reject)
      .end();
  });
}

/** A POST of 20 bytes sent one every 50 ms; resolves with when the last byte was written and when the answer came. */
async function slowUpload(port: number, path: string): Promise<{ sent: number; answered: number }> {
  const socket = await socketTo({ port });
  const answered = new Promise<number>((resolve) => socket.once('data', () => resolve(performance.now())));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: example.com\r\nContent-Length: 20\r\nConnection: close\r\n\r\n`);
  for (let i = 0; i < 20; i++) {
    await sleep(50);
    socket.write('x');
  }
  const sent = performance.now();
  const result = { sent, answered: await answered };
  socket.destroy();
  return result;
}

describe('request buffering', () => {
  it('reads a slow upload (by default, or as the route says) before the origin hears of it, so the origin is busy for moments and serves others meanwhile', async () => {
    const server = await start(edge);
    const run = async (mode: 'buffered' | 'default' | 'streamed'): Promise<{ arrived: number; sent: number; pinged: number }> => {
      served.length = 0;
      const upload = slowUpload(server.port, `/${mode}/upload`);
      await sleep(100);
      const pinged = await ping(server.port, `/${mode}/ping`);
      const { sent } = await upload;
      const uploadServed = served.find((record) => record.path.endsWith('/upload'))!;
      const busy = uploadServed.finished - uploadServed.arrived;
      console.log(`${mode}: the origin was busy ${busy.toFixed(1)} ms with a 1 s upload; a ping during it was answered ${(pinged < sent ? sent - pinged : 0).toFixed(0)} ms before the upload ended`);
      return { arrived: uploadServed.arrived, sent, pinged };
    };
    const buffered = await run('buffered');
    // The origin heard of the upload only once the client had sent it all, and answered the ping before that.
    expect(buffered.arrived).toBeGreaterThanOrEqual(buffered.sent - 1);
    expect(buffered.pinged).toBeLessThan(buffered.sent);
    const byDefault = await run('default');
    expect(byDefault.arrived).toBeGreaterThanOrEqual(byDefault.sent - 1);
    expect(byDefault.pinged).toBeLessThan(byDefault.sent);
    const streamed = await run('streamed');
    // Streamed: the origin held the upload as it trickled in, and the ping waited behind it.
    expect(streamed.arrived).toBeLessThan(streamed.sent);
    expect(streamed.pinged).toBeGreaterThan(streamed.sent);
  }, 30_000);
});

describe('response buffering', () => {
  it('reads the origin at its own speed while a slow client reads, so the origin is freed long before the client has it all', async () => {
    const server = await start(edge);
    served.length = 0;
    const read = new Promise<{ gotAll: number }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: server.port, path: '/buffered/download', agent: false }, (res) => {
        let got = 0;
        // 1 MiB every 20 ms: about 1 s for 48 MiB.
        res.on('data', (chunk: Buffer) => {
          got += chunk.length;
          readerGot = got;
          if (got % (1024 * 1024) < chunk.length) {
            res.pause();
            setTimeout(() => res.resume(), 20);
          }
        });
        res.on('end', () => {
          expect(got).toBe(DOWNLOAD);
          resolve({ gotAll: performance.now() });
        });
      })
        .on('error', reject)
        .end();
    });
    await sleep(100);
    const pinged = await ping(server.port, '/buffered/ping');
    const { gotAll } = await read;
    const download = served.find((record) => record.path.endsWith('/download'))!;
    const left = 1 - download.readerHad / DOWNLOAD;
    console.log(
      `buffered: the origin sent 48 MiB in ${(download.finished - download.arrived).toFixed(0)} ms; the slow client had it all ${(gotAll - download.arrived).toFixed(0)} ms after it began, ` +
        `and had ${(left * 100).toFixed(0)} % still to get when the origin was done`,
    );
    // The origin was done while much of the body was still on its way to the client: the edge held it.
    // (Streamed, the kernel's socket buffers alone hold a fifth or so.)
    expect(left).toBeGreaterThan(0.4);
    expect(pinged).toBeLessThan(gotAll);
  }, 30_000);
});
