import type { Readable } from 'node:stream';
import type { HttpResponseMetadata } from '../awslambda.ts';

/** The metadata a streaming response starts with, and the body bytes that came with it. */
export interface Prelude {
  metadata: HttpResponseMetadata;
  rest: Uint8Array;
}

const DELIMITER_LENGTH = 8;

/**
 * Read a streaming response's metadata prelude: its JSON, then eight NUL
 * bytes (the delimiter Lambda's HTTP integrations look for). JSON never
 * holds a NUL byte, so the first run of eight ends it. A stream that is not
 * an HTTP integration response (`isHttp()` false once data flows) is a
 * 200 with the stream as its body.
 */
export function readPrelude(stream: Readable, isHttp: () => boolean): Promise<Prelude> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const finish = (metadata: HttpResponseMetadata, rest: Uint8Array): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      stream.pause();
      resolve({ metadata, rest });
    };
    const onData = (chunk: Buffer): void => {
      if (!isHttp()) {
        finish({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' } }, chunk);
        return;
      }
      seen = Buffer.concat([seen, chunk]);
      const at = findDelimiter(seen);
      if (at === -1) return;
      try {
        const metadata = JSON.parse(seen.subarray(0, at).toString('utf8')) as HttpResponseMetadata;
        finish(metadata, seen.subarray(at + DELIMITER_LENGTH));
      } catch (error) {
        reject(error);
      }
    };
    const onEnd = (): void => reject(new Error('The response stream ended before its metadata prelude'));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

function findDelimiter(bytes: Buffer): number {
  let run = 0;
  for (let i = 0; i < bytes.length; i++) {
    run = bytes[i] === 0 ? run + 1 : 0;
    if (run === DELIMITER_LENGTH) return i - DELIMITER_LENGTH + 1;
  }
  return -1;
}
