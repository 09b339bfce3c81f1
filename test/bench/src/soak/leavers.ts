// Clients that leave mid-body: each asks for /stream, reads its first piece
// and closes the connection. Arguments: port, how many, how many at once.
// Prints how many it started and how many got a first piece.
import { connect } from 'node:net';

const [port, total, concurrency] = process.argv.slice(2).map(Number) as [number, number, number];
let started = 0;
let gotPiece = 0;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write('GET /stream HTTP/1.1\r\nHost: soak\r\n\r\n'));
    socket.once('data', () => {
      gotPiece++;
      socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

async function lane(): Promise<void> {
  while (started < total) {
    started++;
    await one();
  }
}

await Promise.all(Array.from({ length: concurrency }, lane));
console.log(JSON.stringify({ started, gotPiece }));
