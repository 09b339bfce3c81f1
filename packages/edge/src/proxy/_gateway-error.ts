import type { HeadAnswer } from '@gatehouse/core';
import { type ClientTimeoutError, isTimeout, type TransportError } from '../upstream/transport.ts';

/**
 * The answer when every attempt failed without a response: 504 when the
 * last failure was a timeout, else 502, with a short text naming the pool
 * and never a server's address. `failure` is `undefined` when no attempt
 * was made because every server is down (`allDown: 'fail'`).
 */
export function gatewayError(pool: string, failure: TransportError | undefined): Response {
  const [status, message] = gatewayFailure(pool, failure);
  return new Response(message, { status, headers: TEXT_FIELDS });
}

/** {@link gatewayError} as a {@link HeadAnswer}. */
export function gatewayAnswer(pool: string, failure: TransportError | undefined): HeadAnswer {
  const [status, message] = gatewayFailure(pool, failure);
  return { status, headers: TEXT_FIELDS_FLAT, body: encoder.encode(message) };
}

function gatewayFailure(pool: string, failure: TransportError | undefined): [502 | 504, string] {
  if (failure !== undefined && isTimeout(failure.kind)) return [504, `Gateway Timeout: upstream pool "${pool}" did not answer in time\n`];
  if (failure === undefined) return [502, `Bad Gateway: every server of upstream pool "${pool}" is down\n`];
  return [502, `Bad Gateway: upstream pool "${pool}" could not be reached\n`];
}

/** The answer to a client that left: nobody reads it; 499 is what nginx logs for it. */
export function clientClosed(): Response {
  return new Response(null, { status: 499 });
}

/** The answer to a client that stalled while sending its body: 408, as nginx's `client_body_timeout` gives. */
export function clientTimeout(error: ClientTimeoutError): Response {
  return new Response(`Request Timeout: ${error.message}\n`, { status: 408, headers: TEXT_FIELDS });
}

/** {@link clientClosed} as a {@link HeadAnswer}. */
export const CLIENT_CLOSED_ANSWER: HeadAnswer = Object.freeze({ status: 499, headers: Object.freeze([]), body: null });

const TEXT_FIELDS: [string, string][] = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['cache-control', 'no-store'],
];
const TEXT_FIELDS_FLAT: readonly string[] = Object.freeze(TEXT_FIELDS.flat());
const encoder = new TextEncoder();
