/**
 * An incremental parser of HTTP/1.1 responses (RFC 9112), for a lean
 * upstream client: bytes go in as the socket gives them, in any split, and
 * the head, the body chunks and the end come out. Strict where a proxy
 * must be (response splitting and smuggling live in lenient parsers): a
 * malformed status line, field or chunk is an error, never guessed at.
 */
import { connectionTokens } from '@gatehouse/core';

/** How the body of a response is delimited (RFC 9112 §6.3). */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** HTTP/1.0 or 1.1, as the minor version. */
  readonly minor: 0 | 1;
  /** Names (lower case) and values alternating, in the order received. */
  readonly headers: string[];
  /** The options its Connection fields list (`close`, `keep-alive`, field names), in lower case; empty without one. */
  readonly connection: readonly string[];
  readonly framing: Framing;
  /** The body's length for 'length' framing; -1 otherwise. */
  readonly length: number;
  /** Whether the connection may carry another request once this response is done. */
  readonly keepAlive: boolean;
}

export interface ResponseEvents {
  /** The final head (1xx interim answers are skipped, except 101, which ends the parse). */
  onHead(head: ResponseHead): void;
  onData(chunk: Uint8Array): void;
  /** The response is complete; `rest` holds bytes that came after it (none expected without pipelining). */
  onEnd(rest: Uint8Array): void;
}

/** The response broke the protocol: the connection cannot be trusted any more. */
export class ResponseParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
const CR = 0x0d;
const LF = 0x0a;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const EMPTY = new Uint8Array(0);

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

export class ResponseParser {
  readonly #events: ResponseEvents;
  #state: State = 'head';
  #bodiless = false;
  /** Bytes of an incomplete line or head kept between calls. */
  #pending: Uint8Array = EMPTY;
  #remaining = 0;

  constructor(events: ResponseEvents) {
    this.#events = events;
  }

  /** Start on the response to a request with `method` (HEAD answers carry no body). */
  expect(method: string): void {
    this.#state = 'head';
    this.#bodiless = method === 'HEAD';
    this.#pending = EMPTY;
    this.#remaining = 0;
  }

  /** Whether a response is under way (its head or body partly received). */
  get busy(): boolean {
    return this.#state !== 'done' && (this.#state !== 'head' || this.#pending.byteLength > 0);
  }

  /** Parse `bytes`; throws a {@link ResponseParseError} on a protocol violation. */
  execute(bytes: Uint8Array): void {
    const data = this.#pending.byteLength === 0 ? bytes : concat(this.#pending, bytes);
    this.#pending = EMPTY;
    let at = 0;
    while (at < data.byteLength) {
      switch (this.#state) {
        case 'head': {
          const end = indexOfHeadEnd(data, at);
          if (end === -1) {
            if (data.byteLength - at > MAX_HEAD) throw new ResponseParseError('response head too large');
            this.#pending = data.subarray(at);
            return;
          }
          if (end - at > MAX_HEAD) throw new ResponseParseError('response head too large');
          const head = this.#parseHead(latin1(data, at, end));
          at = end + 4;
          if (head === undefined) continue; // an interim 1xx answer
          this.#events.onHead(head);
          if (head.status === 101 || head.framing === 'none') {
            this.#finish(data.subarray(at));
            return;
          }
          if (head.framing === 'length') this.#remaining = head.length;
          this.#state = head.framing === 'length' ? 'length' : head.framing === 'chunked' ? 'chunk-size' : 'close';
          if (this.#state === 'length' && this.#remaining === 0) {
            this.#finish(data.subarray(at));
            return;
          }
          break;
        }
        case 'length': {
          const take = Math.min(this.#remaining, data.byteLength - at);
          this.#events.onData(data.subarray(at, at + take));
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#finish(data.subarray(at));
            return;
          }
          break;
        }
        case 'close':
          this.#events.onData(data.subarray(at));
          return;
        case 'chunk-size': {
          const line = lineAt(data, at, MAX_CHUNK_LINE, 'chunk size line too long');
          if (line === undefined) {
            this.#pending = data.subarray(at);
            return;
          }
          this.#remaining = chunkSize(latin1(data, at, line));
          at = line + 2;
          this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, data.byteLength - at);
          this.#events.onData(data.subarray(at, at + take));
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'chunk-end';
          break;
        }
        case 'chunk-end': {
          if (data.byteLength - at < 2) {
            this.#pending = data.subarray(at);
            return;
          }
          if (data[at] !== CR || data[at + 1] !== LF) throw new ResponseParseError('chunk data not followed by CRLF');
          at += 2;
          this.#state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const line = lineAt(data, at, MAX_HEAD, 'trailer section too large');
          if (line === undefined) {
            this.#pending = data.subarray(at);
            return;
          }
          if (line === at) {
            this.#finish(data.subarray(at + 2));
            return;
          }
          // Trailer fields are checked like fields, then dropped: the edge passes none on.
          parseField(latin1(data, at, line));
          at = line + 2;
          break;
        }
        case 'done':
          throw new ResponseParseError('bytes after the end of the response');
      }
    }
  }

  /** The connection ended: the end of a body read until close, else an error if a response was under way. */
  close(): void {
    if (this.#state === 'close') {
      this.#state = 'done';
      this.#events.onEnd(EMPTY);
      return;
    }
    if (this.busy) throw new ResponseParseError('the connection closed before the response was complete');
  }

  #finish(rest: Uint8Array): void {
    this.#state = 'done';
    this.#events.onEnd(rest);
  }

  #parseHead(text: string): ResponseHead | undefined {
    const firstEnd = text.indexOf('\r\n');
    const match = STATUS_LINE.exec(firstEnd === -1 ? text : text.slice(0, firstEnd));
    if (match === null) throw new ResponseParseError('malformed status line');
    const minor = match[1] === '1' ? 1 : 0;
    const status = Number(match[2]);
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    let transferEncoding = false;
    let connection: string[] | undefined;
    for (let start = firstEnd + 2; firstEnd !== -1 && start <= text.length; ) {
      const end = text.indexOf('\r\n', start);
      const stop = end === -1 ? text.length : end;
      const colon = fieldColon(text, start, stop);
      const name = text.slice(start, colon).toLowerCase();
      const value = fieldValue(text, colon + 1, stop);
      headers.push(name, value);
      start = stop + 2;
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new ResponseParseError('malformed Content-Length');
        const parsed = Number(value);
        if (length !== -1 && length !== parsed) throw new ResponseParseError('conflicting Content-Length fields');
        length = parsed;
      } else if (name === 'transfer-encoding') {
        transferEncoding = true;
        const codings = value.toLowerCase().split(',').map((coding) => coding.trim());
        chunked = codings[codings.length - 1] === 'chunked';
      } else if (name === 'connection') {
        (connection ??= []).push(...connectionTokens(value));
      }
    }
    if (status >= 100 && status < 200 && status !== 101) return undefined;
    const closes = connection !== undefined && connection.includes('close');
    const keeps = minor === 1 ? !closes : connection !== undefined && connection.includes('keep-alive') && !closes;
    let framing: Framing;
    if (status === 101 || this.#bodiless || status === 204 || status === 304) framing = 'none';
    else if (transferEncoding) framing = chunked ? 'chunked' : 'close';
    else if (length !== -1) framing = 'length';
    else framing = 'close';
    return {
      status,
      statusText: match[3] ?? '',
      minor,
      headers,
      connection: connection ?? NO_TOKENS,
      framing,
      length: framing === 'length' ? length : -1,
      // Both Transfer-Encoding and Content-Length: smuggling's shape; never reuse the connection (RFC 9112 §6.1).
      keepAlive: keeps && framing !== 'close' && status !== 101 && !(transferEncoding && length !== -1),
    };
  }
}

const NO_TOKENS: readonly string[] = Object.freeze([]);

/** Token characters (RFC 9110 §5.6.2), by code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[char.charCodeAt(0)] = 1;

/**
 * Where the colon of the field line `text[start, stop)` is, once its name
 * is found to be a token. A name followed by whitespace, or a line folded
 * onto the one before, is refused (RFC 9112 §5.1, §5.2).
 */
function fieldColon(text: string, start: number, stop: number): number {
  for (let i = start; i < stop; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3a /* : */) {
      if (i === start) break;
      return i;
    }
    if (code > 127 || TOKEN_CHARS[code] === 0) throw new ResponseParseError('malformed header field name');
  }
  throw new ResponseParseError('malformed header field');
}

/** The value in `text[start, stop)`, without the whitespace around it; CR, LF, NUL and other controls refused. */
function fieldValue(text: string, start: number, stop: number): string {
  let from = start;
  let to = stop;
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) throw new ResponseParseError('malformed header field value');
  }
  return text.slice(from, to);
}

/** A trailer field line: checked like a field, then dropped. */
function parseField(line: string): void {
  fieldValue(line, fieldColon(line, 0, line.length) + 1, line.length);
}

function chunkSize(line: string): number {
  const semicolon = line.indexOf(';');
  const size = (semicolon === -1 ? line : line.slice(0, semicolon)).replace(/[\t ]+$/, '');
  if (!/^[0-9A-Fa-f]{1,12}$/.test(size)) throw new ResponseParseError('malformed chunk size');
  return Number.parseInt(size, 16);
}

/** Where the CRLF CRLF that ends a head starts, from `from`; -1 if not yet received. */
function indexOfHeadEnd(data: Uint8Array, from: number): number {
  for (let i = from; i + 3 < data.byteLength; i++) {
    if (data[i] === CR && data[i + 1] === LF && data[i + 2] === CR && data[i + 3] === LF) return i;
  }
  return -1;
}

/** Where the CRLF ending the line at `from` starts; undefined if not yet received. */
function lineAt(data: Uint8Array, from: number, max: number, tooLong: string): number | undefined {
  for (let i = from; i + 1 < data.byteLength; i++) {
    if (data[i] === CR) {
      if (data[i + 1] !== LF) throw new ResponseParseError('bare CR in a line');
      return i;
    }
    if (data[i] === LF) throw new ResponseParseError('bare LF in a line');
    if (i - from > max) throw new ResponseParseError(tooLong);
  }
  if (data.byteLength - from > max) throw new ResponseParseError(tooLong);
  return undefined;
}

function latin1(data: Uint8Array, from: number, to: number): string {
  return Buffer.from(data.buffer, data.byteOffset + from, to - from).toString('latin1');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
