import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { isNullBodyStatus } from '@gatehouse/core';
import type { OutgoingResponse } from './types.ts';
import { drained } from './_drained.ts';
import type { HeadAnswer } from './_head-answer.ts';
import { takeWholeBody } from './_whole-body.ts';

// Connection-level headers are Node's to manage, and HTTP/2 forbids them
// outright (RFC 9113 §8.2.2): an App's copies are dropped.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The subset of Response the adapter reads. Checked by shape, not by
 * `instanceof Response`, so a Response from another realm or a ponyfill
 * is sent as well.
 */
export interface ResponseLike {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

export function isResponseLike(value: unknown): value is ResponseLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ResponseLike).status === 'number' &&
    typeof (value as ResponseLike).headers === 'object'
  );
}

/** Where the listener finds the body stream to stop when the client leaves. */
const kBodyReader: unique symbol = Symbol('gatehouse.bodyReader');

type WithReader = OutgoingResponse & { [kBodyReader]?: ReadableStreamDefaultReader<Uint8Array> };

/**
 * Stop the App's response stream, once, because the client left. Errors
 * from cancel() are swallowed: a stream that already failed is not news.
 */
export function cancelBody(res: OutgoingResponse): void {
  const reader = (res as WithReader)[kBodyReader];
  if (reader === undefined) return;
  (res as WithReader)[kBodyReader] = undefined;
  reader.cancel().catch(ignore);
}

/**
 * Write `response` to Node's response: head first, then the body as it is
 * produced, with backpressure. Resolves when done; rejects if the body
 * stream fails (the caller then cuts the connection, since the head is out).
 */
export function sendResponse(res: OutgoingResponse, response: ResponseLike, isHead: boolean): Promise<void> {
  return sendBody(res, response, writeHead, isHead);
}

/**
 * Write an App's answer from the request head (HTTP/1 only, as the
 * listener asks for them): at once when its body is whole or absent
 * (undefined), else as {@link sendResponse} does (the promise). The same
 * bytes go out as for the Response it stands for.
 */
export function sendHeadAnswer(res: OutgoingResponse, answer: HeadAnswer, isHead: boolean): Promise<void> | undefined {
  const body = answer.body;
  if (body !== null && !(body instanceof Uint8Array)) return sendBody(res, answer, writeAnswerHead, isHead);
  if (res.destroyed) return undefined;
  if (body === null || isNullBodyStatus(answer.status)) {
    writeAnswerHead(res, answer, undefined);
    res.end();
  } else {
    writeAnswerHead(res, answer, body.byteLength);
    if (isHead) res.end();
    else res.end(body);
  }
  return undefined;
}

/** What both kinds of answer have: a status, and a body streamed, whole, or none. */
interface Sendable {
  readonly status: number;
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/** Send `source`'s body, its head written by `writeHead` once the length is known or known not to be. */
async function sendBody<S extends Sendable>(
  res: OutgoingResponse,
  source: S,
  writeHead: (res: OutgoingResponse, source: S, length: number | undefined) => void,
  isHead: boolean,
): Promise<void> {
  const body = source.body;
  if (res.destroyed) {
    // The client left while the App was at work: nobody to stream to.
    if (body !== null && !(body instanceof Uint8Array)) await body.cancel().catch(ignore);
    return;
  }
  if (body === null || isNullBodyStatus(source.status)) {
    writeHead(res, source, undefined);
    res.end();
    if (body !== null && !(body instanceof Uint8Array)) body.cancel().catch(ignore);
    return;
  }

  const whole = body instanceof Uint8Array ? body : takeWholeBody(body);
  if (whole !== undefined) {
    writeHead(res, source, whole.byteLength);
    if (isHead) res.end();
    else res.end(whole);
    return;
  }

  const reader = (body as ReadableStream<Uint8Array>).getReader();
  (res as WithReader)[kBodyReader] = reader;
  try {
    const first = await reader.read();
    if (first.done) {
      writeHead(res, source, 0);
      res.end();
      return;
    }
    // Most bodies are one chunk that is complete at once (a string, bytes,
    // JSON). Look for the end before the head goes out: then the response
    // gets a Content-Length, and head and body leave in one write. A body
    // still being produced is not held back: the wait is a single tick.
    const next = reader.read();
    const peek = await settledThisTick(next);
    const head = toBytes(first.value);
    if (peek !== undefined && peek.done) {
      writeHead(res, source, head.byteLength);
      if (isHead) res.end();
      else res.end(head);
      return;
    }
    writeHead(res, source, undefined);
    if (isHead) {
      cancelBody(res);
      res.end();
      return;
    }
    if (!(res as ServerResponse).write(head)) await drained(res);
    for (let chunk = await next; !chunk.done; chunk = await reader.read()) {
      if ((res as WithReader)[kBodyReader] === undefined) return; // cancelled: the client left
      if (!(res as ServerResponse).write(toBytes(chunk.value))) await drained(res);
    }
    res.end();
  } catch (error) {
    cancelBody(res);
    throw error;
  } finally {
    (res as WithReader)[kBodyReader] = undefined;
  }
}

/**
 * An answer's head: its fields (names in lower case, as the protocol has
 * them) without connection-level ones, as for a Response, and the length
 * when it is known and they lack it.
 */
function writeAnswerHead(res: OutgoingResponse, answer: HeadAnswer, length: number | undefined): void {
  let fields = answer.headers;
  let hasLength = false;
  let connectionLevel = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name === 'content-length') hasLength = true;
    else if (HOP_BY_HOP.has(name)) connectionLevel = true;
  }
  if (connectionLevel) {
    const kept: string[] = [];
    for (let i = 0; i < fields.length; i += 2) if (!HOP_BY_HOP.has(fields[i]!)) kept.push(fields[i]!, fields[i + 1]!);
    fields = kept;
  }
  if (length !== undefined && !hasLength) fields = [...fields, 'content-length', String(length)];
  const node = res as ServerResponse;
  if (answer.statusText === undefined) node.writeHead(answer.status, fields as string[]);
  else node.writeHead(answer.status, answer.statusText, fields as string[]);
}

function writeHead(res: OutgoingResponse, response: ResponseLike, length: number | undefined): void {
  if ((res as Http2ServerResponse).stream !== undefined) {
    writeHead2(res as Http2ServerResponse, response, length);
    return;
  }
  // The flat [name, value, name, value] form goes to the socket as it is,
  // without Node's per-header bookkeeping.
  const flat: string[] = [];
  let hasLength = false;
  for (const [name, value] of response.headers) {
    if (HOP_BY_HOP.has(name)) continue;
    if (name === 'content-length') hasLength = true;
    flat.push(name, value);
  }
  if (!hasLength && length !== undefined) flat.push('content-length', String(length));
  const node = res as ServerResponse;
  if (response.statusText === '') node.writeHead(response.status, flat);
  else node.writeHead(response.status, response.statusText, flat);
}

function writeHead2(res: Http2ServerResponse, response: ResponseLike, length: number | undefined): void {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of response.headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  if (headers['content-length'] === undefined && length !== undefined) headers['content-length'] = String(length);
  res.writeHead(response.status, headers);
}

/** Response bodies are streams of bytes; a string chunk is forgiven, anything else is the App's bug. */
export function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`A response body chunk must be a Uint8Array, not ${typeof chunk}`);
}

/**
 * `promise`'s value if it settles before the microtask queue runs dry,
 * else `undefined`. process.nextTick callbacks queued from a microtask run
 * only once the queue is empty, so whatever a producer does synchronously
 * or in microtasks counts as "now".
 */
function settledThisTick<T>(promise: Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    promise.then(resolve, () => resolve(undefined));
    process.nextTick(resolve);
  });
}

function ignore(): void {}
