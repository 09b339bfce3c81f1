import { ANSWER_HEAD, type HeadAnswer } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, rawExchange, request as get, start } from './_test-helpers.ts';
import type { NodeServer } from './options.ts';


afterEach(closeAll);

/** Every byte of the answer to `path`, the Date field's value left out. */
async function rawAnswer(server: NodeServer, request: string): Promise<string> {
  const reply = await rawExchange(server, request);
  return reply.replace(/\r\ndate: [^\r]*/i, '');
}

describe('answers from the request head', () => {
  // One App answers both ways: from the head when it has the method, else with a Response.
  // In the order a Response's Headers keep them: sorted by name.
  const fields = ['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-answer', 'yes'];
  const made = (path: string): HeadAnswer => {
    if (path === '/whole') return { status: 200, headers: fields, body: new TextEncoder().encode('whole body') };
    if (path === '/reason') return { status: 299, statusText: 'Fine Indeed', headers: fields, body: null };
    if (path === '/hop') return { status: 200, headers: [...fields, 'connection', 'x-answer', 'keep-alive', 'timeout=9', 'transfer-encoding', 'chunked'], body: new TextEncoder().encode('hop') };
    return {
      status: 200,
      headers: fields,
      body: new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('one,'));
          await new Promise((resolve) => setTimeout(resolve, 5));
          controller.enqueue(new TextEncoder().encode('two'));
          controller.close();
        },
      }),
    };
  };
  const asResponse = (answer: HeadAnswer): Response => {
    const headers = new Headers();
    for (let i = 0; i < answer.headers.length; i += 2) headers.append(answer.headers[i]!, answer.headers[i + 1]!);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers });
  };
  let asked = 0;
  const path = (url: string): string => new URL(url).pathname;
  const fromHead = {
    fetch: (request: Request) => asResponse(made(path(request.url))),
    [ANSWER_HEAD]: (head: { url: string }) => {
      asked++;
      const answer = made(path(head.url));
      return path(head.url) === '/later' ? Promise.resolve(answer) : answer;
    },
  };
  const fromFetch = { fetch: fromHead.fetch };

  it('are written byte for byte as the same Response would be, whole, streamed, with a reason phrase, or for HEAD', async () => {
    const [heads, responses] = [await start(fromHead as never), await start(fromFetch)];
    for (const target of ['/whole', '/stream', '/later', '/reason']) {
      for (const method of ['GET', 'HEAD']) {
        const request = `${method} ${target} HTTP/1.1\r\nhost: example.test\r\nconnection: close\r\n\r\n`;
        const before = asked;
        const answer = await rawAnswer(heads, request);
        expect(asked, `${method} ${target} asked the head`).toBe(before + 1);
        expect(answer, `${method} ${target}`).toBe(await rawAnswer(responses, request));
        expect(answer).toMatch(/^HTTP\/1\.1 2\d\d /);
      }
    }
  });

  it('lose the connection-level fields a Response would lose', async () => {
    const [heads, responses] = [await start(fromHead as never), await start(fromFetch)];
    const request = 'GET /hop HTTP/1.1\r\nhost: example.test\r\nconnection: close\r\n\r\n';
    const answer = await rawAnswer(heads, request);
    expect(answer).toBe(await rawAnswer(responses, request));
    expect(answer).not.toMatch(/timeout=9|transfer-encoding/i);
    expect(answer).toContain('\r\n\r\nhop');
  });

  it('are not asked for a request with a body, or one that is not a GET or HEAD', async () => {
    const server = await start(fromHead as never);
    const before = asked;
    const reply = await rawAnswer(server, 'POST /whole HTTP/1.1\r\nhost: example.test\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi');
    expect(reply).toContain('whole body');
    const withBody = await rawAnswer(server, 'GET /whole HTTP/1.1\r\nhost: example.test\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi');
    expect(withBody).toContain('whole body');
    expect(asked).toBe(before);
  });
});

describe('answers from the head of an App that gets them wrong', () => {
  it('are the App failing: a field Node will not write is a 500, reported, whether answered at once or later', async () => {
    const reported: unknown[] = [];
    const bad = { status: 200, headers: ['x-bad', 'a\r\nb'], body: new Uint8Array([1]) };
    const app = {
      fetch: () => new Response('from fetch'),
      [ANSWER_HEAD]: (head: { url: string }) => (head.url.endsWith('/later') ? Promise.resolve(bad) : bad),
    };
    const server = await start(app as never, { onError: (error) => void reported.push(error) });
    expect((await get(server, '/now')).status).toBe(500);
    expect((await get(server, '/later')).status).toBe(500);
    expect(reported).toHaveLength(2);
    // And the server goes on.
    expect((await get(server, '/now', 'POST')).body).toBe('from fetch');
  });

  it('leave to fetch what is not an answer, and take one from a thenable', async () => {
    const answer = { status: 203, headers: ['content-type', 'text/plain'], body: new TextEncoder().encode('thenable') };
    const app = {
      fetch: () => new Response('from fetch'),
      [ANSWER_HEAD]: (head: { url: string }) => {
        if (head.url.endsWith('/null')) return null;
        if (head.url.endsWith('/junk')) return { status: 'no' };
        // Not a native Promise: one from another realm, or a library's.
        // oxlint-disable-next-line unicorn/no-thenable -- a thenable is what this case is about
        return { then: (resolve: (value: unknown) => void) => resolve(answer) };
      },
    };
    const server = await start(app as never);
    expect((await get(server, '/null')).body).toBe('from fetch');
    expect((await get(server, '/junk')).body).toBe('from fetch');
    expect(await get(server, '/thenable')).toEqual({ status: 203, headers: { 'content-type': 'text/plain', 'content-length': '8' }, body: 'thenable' });
  });
});
