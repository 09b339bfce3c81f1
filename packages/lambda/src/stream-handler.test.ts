import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, lambdaContext } from './_test-helpers.ts';
import { installAwsLambdaGlobal, type ResponseStream } from './awslambda.ts';
import { streamHandler } from './stream-handler.ts';

beforeAll(() => {
  installAwsLambdaGlobal();
});

/** Run a streaming handler and collect what it wrote: the prelude's metadata and the body. */
async function collect(app: Parameters<typeof streamHandler>[0], event: unknown, timeout = 30_000, options = {}) {
  const stream = new PassThrough();
  let contentType: string | undefined;
  (stream as unknown as ResponseStream).setContentType = (type) => void (contentType = type);
  const chunks: Buffer[] = [];
  let failed = false;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', () => void (failed = true));
  await streamHandler(app, { onError: () => {}, ...options })(event, stream as unknown as ResponseStream, lambdaContext(timeout));
  await new Promise((resolve) => setImmediate(resolve));
  const all = Buffer.concat(chunks);
  const end = all.indexOf(Buffer.alloc(8));
  return {
    contentType,
    metadata: JSON.parse(all.subarray(0, end).toString('utf8')) as { statusCode: number; headers: Record<string, string>; cookies?: string[] },
    body: all.subarray(end + 8).toString('utf8'),
    failed,
  };
}

describe('streamHandler', () => {
  it('writes the metadata prelude, JSON then eight NUL bytes, then the body', async () => {
    const app = {
      fetch: () => {
        const headers = new Headers({ 'content-type': 'text/plain' });
        headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
        headers.append('set-cookie', 'b=2');
        return new Response('hello', { status: 201, headers });
      },
    };
    const out = await collect(app, fixture('function-url'));
    expect(out.contentType).toBe('application/vnd.awslambda.http-integration-response');
    expect(out.metadata).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'content-length': '5' },
      cookies: ['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2'],
    });
    expect(out.body).toBe('hello');
  });

  it('sends status and headers for a response with no body', async () => {
    const out = await collect({ fetch: () => new Response(null, { status: 204, headers: { etag: '"x"' } }) }, fixture('function-url'));
    expect(out.metadata).toEqual({ statusCode: 204, headers: { etag: '"x"' } });
    expect(out.body).toBe('');
  });

  it('streams a body as it is produced, without a Content-Length', async () => {
    // Lockstep: the App makes its next piece only once the previous one has
    // been written to the response stream, so a handler that held the body
    // back until the end would never finish.
    const stream = new PassThrough();
    (stream as unknown as ResponseStream).setContentType = () => {};
    let written = '';
    let wake: (() => void) | undefined;
    stream.on('data', (chunk: Buffer) => {
      written += chunk.toString('latin1');
      wake?.();
    });
    const writtenSoFar = (text: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`"${text}" was not written while the body was still being produced`)), 2_000);
        const check = (): void => {
          if (!written.endsWith(text)) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        wake = check;
        check();
      });
    let n = 0;
    const app = {
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              if (n > 0) await writtenSoFar(`piece ${n - 1};`);
              if (n === 3) controller.close();
              else controller.enqueue(new TextEncoder().encode(`piece ${n++};`));
            },
          }),
        ),
    };
    await streamHandler(app, { onError: (error) => void (written += `[${String(error)}]`) })(fixture('function-url'), stream as unknown as ResponseStream, lambdaContext(30_000));
    const end = written.indexOf('\0'.repeat(8));
    const metadata = JSON.parse(written.slice(0, end)) as { headers: Record<string, string> };
    expect(metadata.headers['content-length']).toBeUndefined();
    expect(written.slice(end + 8)).toBe('piece 0;piece 1;piece 2;');
  });

  it('cuts the stream short at the deadline, and cancels the App\'s stream', async () => {
    let cancelled = 0;
    const app = {
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              await new Promise((resolve) => setTimeout(resolve, 10));
              controller.enqueue(new Uint8Array(10));
            },
            cancel: () => void cancelled++,
          }),
        ),
    };
    const out = await collect(app, fixture('function-url'), 300, { deadlineMargin: 100 });
    expect(out.failed).toBe(true);
    expect(cancelled).toBe(1);
  });

  it('refuses to start without the awslambda global, and says why', () => {
    const saved = (globalThis as { awslambda?: unknown }).awslambda;
    delete (globalThis as { awslambda?: unknown }).awslambda;
    try {
      expect(() => streamHandler({ fetch: () => new Response('x') })).toThrow(/awslambda global/);
    } finally {
      (globalThis as { awslambda?: unknown }).awslambda = saved;
    }
  });
});

describe('streamHandler at the deadline', () => {
  it('answers 504 with a proper head when not even the first chunk came in time', async () => {
    const app = { fetch: () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) })) };
    const out = await collect(app, fixture('function-url'), 300, { deadlineMargin: 100 });
    expect(out.metadata.statusCode).toBe(504);
    expect(out.body).toBe('Gateway Timeout\n');
  });

  it('does not wait past the deadline for a client that stopped reading', async () => {
    const stream = new PassThrough({ highWaterMark: 16 }); // nobody reads it: writes stop returning true
    (stream as unknown as ResponseStream).setContentType = () => {};
    let failed = false;
    stream.on('error', () => void (failed = true));
    const app = {
      fetch: () => new Response(new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(1024)) })),
    };
    await streamHandler(app, { deadlineMargin: 100, onError: () => {} })(fixture('function-url'), stream as unknown as ResponseStream, lambdaContext(300));
    expect(failed || stream.destroyed).toBe(true);
  });
});
