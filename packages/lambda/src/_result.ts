import { STATUS_CODES } from 'node:http';
import { isNullBodyStatus } from '@gatehouse/core';
import { caseVariants } from './_headers.ts';
import type { AlbResult, EventSource, HttpApiResult, LambdaHttpEvent, RestApiResult } from './events.ts';

/** A response, read whole, ready to be put in the shape its source expects. */
export interface ResponseParts {
  status: number;
  statusText: string;
  headers: Headers;
  body: string;
  isBase64Encoded: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Resolves when the invocation must stop producing its response. */
export const DEADLINE: unique symbol = Symbol('deadline');

/** The App's response did not finish before the invocation's deadline. */
export class DeadlineError extends Error {
  constructor(message = 'The response was not complete before the Lambda invocation\'s deadline') {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** The App's response is larger than a buffered Lambda result may be. */
export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`The response body is larger than ${limit} bytes, the most a buffered Lambda response can carry; serve it with streamHandler`);
    this.name = 'ResponseTooLargeError';
  }
}

export interface ReadOptions {
  isBinary: (headers: Headers) => boolean;
  isHeadRequest: boolean;
  maxSize: number;
  deadline: Promise<typeof DEADLINE>;
}

/**
 * Read `response` whole; binary bodies (by `isBinary`) become base64. A
 * HEAD response is read only to be measured: its Content-Length is that
 * of the GET it stands for. Reading stops, and the App's stream is
 * cancelled, at the deadline or past `maxSize`.
 */
export async function responseParts(response: Response, options: ReadOptions): Promise<ResponseParts> {
  let headers = response.headers;
  const parts = { status: response.status, statusText: response.statusText, headers, body: '', isBase64Encoded: false };
  if (response.body === null || isNullBodyStatus(response.status)) {
    if (response.body !== null) await response.body.cancel().catch(() => {});
    return parts;
  }
  const [bytes, size] = await readAll(response.body, options);
  if (bytes === undefined) {
    // HEAD: measured, not kept.
    if (!headers.has('content-length')) {
      headers = new Headers(headers);
      headers.set('content-length', String(size));
      parts.headers = headers;
    }
    return parts;
  }
  if (bytes.byteLength === 0) return parts;
  if (!options.isBinary(headers)) {
    try {
      parts.body = decoder.decode(bytes);
      return parts;
    } catch {
      // Declared as text but not UTF-8: base64 keeps every byte.
    }
  }
  parts.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  parts.isBase64Encoded = true;
  return parts;
}

/**
 * The whole body and its size, within the deadline and `maxSize`. For HEAD
 * the bytes are only counted (what is not sent needs neither memory nor a
 * size limit): no bytes come back.
 */
async function readAll(body: ReadableStream<Uint8Array>, options: ReadOptions): Promise<[Uint8Array | undefined, number]> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // At the deadline the stream is cancelled, which ends the pending read:
  // one reaction for the whole body rather than a race for every chunk.
  let late = false;
  void options.deadline.then(() => {
    late = true;
    reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const next = await reader.read();
      if (late) throw new DeadlineError();
      if (next.done) break;
      size += next.value.byteLength;
      if (options.isHeadRequest) continue;
      if (size > options.maxSize) throw new ResponseTooLargeError(options.maxSize);
      chunks.push(next.value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  if (options.isHeadRequest) return [undefined, size];
  if (chunks.length === 1) return [chunks[0]!, size];
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return [whole, size];
}

/** The result in the shape `source` expects, cookies kept apart for each. */
export function toResult(parts: ResponseParts, source: EventSource, event: LambdaHttpEvent): RestApiResult | HttpApiResult | AlbResult {
  const cookies = parts.headers.getSetCookie();
  switch (source) {
    case 'http': {
      const result: HttpApiResult = {
        statusCode: parts.status,
        headers: singleHeaders(parts.headers),
        body: parts.body,
        isBase64Encoded: parts.isBase64Encoded,
      };
      // Cookies go in `cookies` only: also leaving them in headers sends them twice.
      if (cookies.length > 0) result.cookies = cookies;
      return result;
    }
    case 'rest':
      return {
        statusCode: parts.status,
        multiValueHeaders: multiHeaders(parts.headers, cookies),
        body: parts.body,
        isBase64Encoded: parts.isBase64Encoded,
      };
    case 'alb':
    case 'lattice-v1':
    case 'lattice-v2': {
      const result: AlbResult = {
        statusCode: parts.status,
        statusDescription: `${parts.status} ${parts.statusText || reasonPhrase(parts.status)}`.trim(),
        body: parts.body,
        isBase64Encoded: parts.isBase64Encoded,
      };
      if (source === 'alb' && (event as { multiValueHeaders?: unknown }).multiValueHeaders !== undefined) {
        // The target group runs in multi-value mode: it answers in kind.
        result.multiValueHeaders = multiHeaders(parts.headers, cookies);
      } else {
        const headers = singleHeaders(parts.headers);
        caseVariants('set-cookie', cookies.length).forEach((name, i) => (headers[name] = cookies[i]!));
        result.headers = headers;
      }
      return result;
    }
  }
}

/** Headers one value each (repeated ones comma-joined, as HTTP allows), Set-Cookie left out. */
function singleHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  return out;
}

function multiHeaders(headers: Headers, cookies: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = [value];
  });
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? '';
}
