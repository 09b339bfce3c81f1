import { afterEach, describe, expect, it } from 'vitest';
import { takeWholeBody, wholeBodyStream } from './whole-body.ts';
import { closeAll, rawExchange, start } from './_test-helpers.ts';

afterEach(closeAll);

const bytes = new TextEncoder().encode('0123456789');

describe('wholeBodyStream', () => {
  it('hands its bytes over once, to the adapter, while nobody has touched it', () => {
    const stream = wholeBodyStream(bytes);
    expect(takeWholeBody(stream)).toBe(bytes);
    // Spent: a second claim gets nothing.
    expect(takeWholeBody(stream)).toBeUndefined();
  });

  it('is an ordinary stream to any other reader', async () => {
    expect(await new Response(wholeBodyStream(bytes)).text()).toBe('0123456789');
  });

  it('keeps its bytes from the adapter once read, locked or teed', async () => {
    const read = wholeBodyStream(bytes);
    const reader = read.getReader();
    expect(takeWholeBody(read)).toBeUndefined(); // locked
    expect((await reader.read()).value).toBe(bytes);
    reader.releaseLock();
    expect(takeWholeBody(read)).toBeUndefined(); // read, then unlocked again

    const teed = wholeBodyStream(bytes);
    const [a, b] = teed.tee();
    expect(takeWholeBody(teed)).toBeUndefined();
    expect(await new Response(a).text()).toBe('0123456789');
    expect(await new Response(b).text()).toBe('0123456789');
  });

  it('is not taken from other streams', () => {
    expect(takeWholeBody(new Response('x').body!)).toBeUndefined();
  });
});

describe('serving a whole body', () => {
  it('sends the bytes once, with the length, for GET; the head only for HEAD', async () => {
    const server = await start({
      fetch: () => new Response(wholeBodyStream(bytes), { headers: { 'content-type': 'text/plain' } }),
    });
    const get = await rawExchange(server, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(get).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(get).toMatch(/\r\ncontent-length: 10\r\n/i);
    expect(get).not.toMatch(/transfer-encoding/i);
    expect(get.endsWith('\r\n\r\n0123456789')).toBe(true);

    const head = await rawExchange(server, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(head).toMatch(/\r\ncontent-length: 10\r\n/i);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  it('sends what is left when a middleware read part of it first', async () => {
    const server = await start({
      async fetch() {
        const response = new Response(wholeBodyStream(bytes), { headers: { 'x-peeked': 'yes' } });
        const reader = response.body!.getReader();
        await reader.read(); // the first chunk is all of it
        reader.releaseLock();
        return response;
      },
    });
    const reply = await rawExchange(server, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply).toMatch(/\r\nx-peeked: yes\r\n/i);
    expect(reply).toMatch(/\r\ncontent-length: 0\r\n/i);
    expect(reply.endsWith('\r\n\r\n')).toBe(true);
  });
});
