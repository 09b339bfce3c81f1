import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { drained, isHeadAnswer, isHopByHop, isNullBodyStatus } from '@gatehouse/core';
import type { OutgoingResponse } from './types.ts';
import { describeNonResponse } from './_app-errors.ts';
import { takeWholeBody } from './whole-body.ts';

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

/**
 * What the listener writes, however the App answered (a `Response` from
 * `fetch`, a `HeadAnswer` from the request head): one form, so that both
 * go out through the same code, byte for byte alike.
 */
export interface Reply {
  readonly status: number;
  /** The reason phrase, when not the standard one. */
  readonly statusText: string | undefined;
  /**
   * Names and values alternating, in lower case, without the
   * connection-level fields Node writes itself (and HTTP/2 forbids:
   * RFC 9113 §8.2.2).
   */
  readonly fields: readonly string[];
  /** Whether `fields` has a Content-Length. */
  readonly hasLength: boolean;
  /** Whether `fields` was made for this Reply (else it is the App's, never to be changed). */
  readonly ownsFields: boolean;
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/** How one kind of App answer becomes a {@link Reply}. */
export interface ReplySource {
  /** The answer as a Reply, or undefined when it is not one of this kind. */
  reply(made: unknown): Reply | undefined;
  /** The error that says the App answered `made`, which is not one. */
  notOne(made: unknown): TypeError;
}

/** Answers from `fetch`: Responses. */
export const FROM_RESPONSE: ReplySource = {
  notOne: (made) => new TypeError(`The App returned ${describeNonResponse(made)} instead of a Response`),
  reply(made) {
    if (!isResponseLike(made)) return undefined;
    const fields: string[] = [];
    let hasLength = false;
    for (const [name, value] of made.headers) {
      if (isHopByHop(name)) continue;
      if (name === 'content-length') hasLength = true;
      fields.push(name, value);
    }
    return { status: made.status, statusText: made.statusText === '' ? undefined : made.statusText, fields, hasLength, ownsFields: true, body: made.body };
  },
};

/** Answers from the request head: HeadAnswers. */
export const FROM_HEAD: ReplySource = {
  notOne: (made) => new TypeError(`The App answered from the head with ${describeNonResponse(made)} instead of a HeadAnswer`),
  reply(made) {
    if (!isHeadAnswer(made)) return undefined;
    let fields = made.headers;
    let hasLength = false;
    let connectionLevel = false;
    let ownsFields = false;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      if (name === 'content-length') hasLength = true;
      else if (isHopByHop(name)) connectionLevel = true;
    }
    if (connectionLevel) {
      const kept: string[] = [];
      for (let i = 0; i < fields.length; i += 2) if (!isHopByHop(fields[i]!)) kept.push(fields[i]!, fields[i + 1]!);
      fields = kept;
      ownsFields = true;
    }
    return { status: made.status, statusText: made.statusText, fields, hasLength, ownsFields, body: made.body };
  },
};

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
 * Write `reply` to Node's response: at once when its body is whole or
 * absent (then undefined), else status and fields first and the body as it is
 * produced, with backpressure (then a promise, which rejects if the body
 * stream fails: the caller cuts the connection, since the status is out).
 * Throws when Node refuses the fields (one it will not write).
 */
export function sendReply(res: OutgoingResponse, reply: Reply, isHeadRequest: boolean): Promise<void> | undefined {
  const body = reply.body;
  if (res.destroyed) {
    // The client left while the App was at work: nobody to send to.
    if (body !== null && !(body instanceof Uint8Array)) body.cancel().catch(ignore);
    return undefined;
  }
  if (body === null || isNullBodyStatus(reply.status)) {
    writeHead(res, reply, undefined);
    res.end();
    if (body !== null && !(body instanceof Uint8Array)) body.cancel().catch(ignore);
    return undefined;
  }
  const whole = body instanceof Uint8Array ? body : takeWholeBody(body);
  if (whole !== undefined) {
    writeHead(res, reply, whole.byteLength);
    if (isHeadRequest) res.end();
    else res.end(whole);
    return undefined;
  }
  return streamBody(res, reply, body as ReadableStream<Uint8Array>, isHeadRequest);
}

async function streamBody(res: OutgoingResponse, reply: Reply, body: ReadableStream<Uint8Array>, isHeadRequest: boolean): Promise<void> {
  const reader = body.getReader();
  (res as WithReader)[kBodyReader] = reader;
  try {
    const first = await reader.read();
    if (first.done) {
      writeHead(res, reply, 0);
      res.end();
      return;
    }
    // Most bodies are one chunk that is complete at once (a string, bytes,
    // JSON). Look for the end before the status line goes out: then the
    // response gets a Content-Length, and fields and body leave in one write. A body
    // still being produced is not held back: the wait is a single tick.
    const next = reader.read();
    const peek = await settledThisTick(next);
    const firstChunk = toBytes(first.value);
    if (peek !== undefined && peek.done) {
      writeHead(res, reply, firstChunk.byteLength);
      if (isHeadRequest) res.end();
      else res.end(firstChunk);
      return;
    }
    writeHead(res, reply, undefined);
    if (isHeadRequest) {
      cancelBody(res);
      res.end();
      return;
    }
    if (!(res as ServerResponse).write(firstChunk) && isBehind(res)) await drained(res);
    for (let chunk = await next; !chunk.done; chunk = await reader.read()) {
      if ((res as WithReader)[kBodyReader] === undefined) return; // cancelled: the client left
      if (!(res as ServerResponse).write(toBytes(chunk.value)) && isBehind(res)) await drained(res);
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
 * How much of a streamed body may wait in Node for its client before the
 * App's stream is held back. Node's own mark (64 KiB) also counts what this
 * tick's writes hold behind the cork, so a body made at once left in two
 * writes with a wait between them for a client that was not behind. Past
 * this much, the client is behind, and the wait bounds what it costs. A
 * server made with a higher `highWaterMark` is held to its own. Why 256 KiB,
 * and what was rejected: docs/DECISIONS.md.
 */
export const SEND_WINDOW: number = 256 * 1024;

/** Whether more of the body waits for the client than {@link SEND_WINDOW}: then the App's stream waits for 'drain'. */
function isBehind(res: OutgoingResponse): boolean {
  return res.writableLength > SEND_WINDOW;
}

/** The status line and fields, with the length when it is known and they lack it. */
function writeHead(res: OutgoingResponse, reply: Reply, length: number | undefined): void {
  let fields = reply.fields;
  if (length !== undefined && !reply.hasLength) {
    if (reply.ownsFields) (fields as string[]).push('content-length', String(length));
    else fields = [...fields, 'content-length', String(length)];
  }
  if ((res as Http2ServerResponse).stream !== undefined) {
    (res as Http2ServerResponse).writeHead(reply.status, fieldObject(fields));
    return;
  }
  // The flat [name, value, name, value] form goes to the socket as it is,
  // without Node's per-header bookkeeping.
  const node = res as ServerResponse;
  if (reply.statusText === undefined) node.writeHead(reply.status, fields as string[]);
  else node.writeHead(reply.status, reply.statusText, fields as string[]);
}

/** HTTP/2's compatibility API takes an object: repeated fields become arrays. */
function fieldObject(fields: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  return headers;
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
