import { describe, expect, it } from 'vitest';
import { ResponseParseError, ResponseParser, type ResponseHead } from './response-parser.ts';

interface Parsed {
  head: ResponseHead | undefined;
  body: string;
  ended: boolean;
  rest: string;
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** Parse `raw` fed in the given pieces; `close` ends the connection afterwards. */
function parse(pieces: readonly string[], method = 'GET', close = false): Parsed {
  const out: Parsed = { head: undefined, body: '', ended: false, rest: '' };
  const parser = new ResponseParser({
    onHead: (head) => (out.head = head),
    onData: (chunk) => (out.body += Buffer.from(chunk).toString('latin1')),
    onEnd: (rest) => {
      out.ended = true;
      out.rest = Buffer.from(rest).toString('latin1');
    },
  });
  parser.expect(method);
  for (const piece of pieces) parser.execute(bytes(piece));
  if (close) parser.close();
  return out;
}

/** Every way to cut `raw` in two, and byte by byte: each must parse as the whole does. */
function everySplit(raw: string, method = 'GET', close = false): Parsed {
  const whole = parse([raw], method, close);
  for (let cut = 1; cut < raw.length; cut++) {
    expect(parse([raw.slice(0, cut), raw.slice(cut)], method, close), `cut at ${cut}`).toEqual(whole);
  }
  expect(parse([...raw], method, close), 'byte by byte').toEqual(whole);
  return whole;
}

describe('ResponseParser', () => {
  it('reads a Content-Length body, in any split', () => {
    const parsed = everySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    expect(parsed.head).toMatchObject({ status: 200, statusText: 'OK', framing: 'length', length: 5, keepAlive: true });
    expect(parsed.head!.headers).toEqual(['content-type', 'text/plain', 'content-length', '5']);
    expect([parsed.body, parsed.ended]).toEqual(['hello', true]);
  });

  it('decodes chunked bodies with extensions and trailers, in any split', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n';
    const parsed = everySplit(raw);
    expect(parsed.head).toMatchObject({ framing: 'chunked', keepAlive: true });
    expect([parsed.body, parsed.ended, parsed.rest]).toEqual(['hello world', true, '']);
  });

  it('reads a body without length until the connection closes, and never reuses it', () => {
    const parsed = everySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it', 'GET', true);
    expect(parsed.head).toMatchObject({ framing: 'close', keepAlive: false });
    expect([parsed.body, parsed.ended]).toEqual(['all of it', true]);
  });

  it('expects no body for HEAD, 204 and 304, whatever Content-Length says', () => {
    expect(everySplit('HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n', 'HEAD')).toMatchObject({ body: '', ended: true });
    expect(everySplit('HTTP/1.1 204 No Content\r\n\r\n').head).toMatchObject({ status: 204, framing: 'none' });
    expect(everySplit('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').head).toMatchObject({ framing: 'none' });
  });

  it('skips interim 1xx answers and reports the final head', () => {
    const parsed = everySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
    expect(parsed.head).toMatchObject({ status: 201 });
    expect(parsed.body).toBe('ok');
  });

  it('ends at 101 and hands over what followed the head', () => {
    const parsed = parse(['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi']);
    expect(parsed.head).toMatchObject({ status: 101, framing: 'none', keepAlive: false });
    expect(parsed.rest).toBe('\x81\x02hi');
  });

  it('keeps every Set-Cookie and the fields in order, values trimmed', () => {
    const parsed = parse(['HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie:  b=2 \r\nContent-Length: 0\r\n\r\n']);
    expect(parsed.head!.headers).toEqual(['set-cookie', 'a=1', 'set-cookie', 'b=2', 'content-length', '0']);
    expect(parsed.ended).toBe(true);
  });

  it('tells when the connection may be reused', () => {
    const head = (raw: string): ResponseHead => parse([raw]).head!;
    expect(head('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(head('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(head('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(true);
    // Both framings at once is how smuggling looks: chunked wins, the connection is not reused.
    const both = head('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
    expect([both.framing, both.keepAlive]).toEqual(['chunked', false]);
  });

  it('reports bytes after a complete response', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1']).rest).toBe('HTTP/1.1');
  });

  const malformed: [string, string][] = [
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n'],
    ['a three-digit status that is not one', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a bare LF in the status line', 'HTTP/1.1 200 OK\nX: y\r\n\r\n'],
    ['a folded field', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['a field without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n'],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n'],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n'],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n'],
    ['conflicting Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk size with a sign', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n'],
    ['chunk data not followed by CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n'],
    ['a bare LF after a chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n'],
    ['a malformed trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n'],
  ];
  for (const [what, raw] of malformed) {
    it(`refuses ${what}, in any split`, () => {
      expect(() => parse([raw])).toThrow(ResponseParseError);
      for (let cut = 1; cut < raw.length; cut++) {
        expect(() => parse([raw.slice(0, cut), raw.slice(cut)]), `cut at ${cut}`).toThrow(ResponseParseError);
      }
    });
  }

  it('refuses a head larger than 64 KiB, even before it ends', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`;
    expect(() => parse([big])).toThrow(/too large/);
    expect(() => parse([big.slice(0, 40 * 1024), big.slice(40 * 1024)])).toThrow(/too large/);
  });

  it('says a response cut short by the connection closing is incomplete', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'], 'GET', true)).toThrow(/before the response was complete/);
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'], 'GET', true)).toThrow(ResponseParseError);
    expect(() => parse(['HTTP/1.1 200 O'], 'GET', true)).toThrow(ResponseParseError);
  });

  it('is reusable for the next response on the connection', () => {
    const heads: number[] = [];
    let body = '';
    const parser = new ResponseParser({
      onHead: (head) => heads.push(head.status),
      onData: (chunk) => (body += Buffer.from(chunk).toString('latin1')),
      onEnd: () => {},
    });
    parser.expect('GET');
    parser.execute(bytes('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'));
    expect(parser.busy).toBe(false);
    parser.expect('GET');
    parser.execute(bytes('HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb'));
    expect([heads, body]).toEqual([[200, 404], 'ab']);
  });
});
