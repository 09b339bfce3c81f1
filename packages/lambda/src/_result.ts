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

/** Read `response` whole; binary bodies (by `isBinary`) become base64. */
export async function responseParts(
  response: Response,
  isBinary: (headers: Headers) => boolean,
  isHead: boolean,
): Promise<ResponseParts> {
  const parts = { status: response.status, statusText: response.statusText, headers: response.headers, body: '', isBase64Encoded: false };
  if (response.body === null || isNullBodyStatus(response.status) || isHead) {
    if (response.body !== null) await response.body.cancel().catch(() => {});
    return parts;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength === 0) return parts;
  if (!isBinary(response.headers)) {
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
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  return out;
}

function multiHeaders(headers: Headers, cookies: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = [value];
  });
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function reasonPhrase(status: number): string {
  return REASONS[status] ?? '';
}
