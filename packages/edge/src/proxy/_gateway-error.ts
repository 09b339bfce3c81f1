import { isTimeout, type TransportError } from '../upstream/transport.ts';

/**
 * The answer when every attempt failed without a response: 504 when the
 * last failure was a timeout, else 502, with a short text naming the pool
 * and never a server's address. `failure` is `undefined` when no attempt
 * was made because every server is down (`allDown: 'fail'`).
 */
export function gatewayError(pool: string, failure: TransportError | undefined): Response {
  if (failure !== undefined && isTimeout(failure.kind)) {
    return text(504, `Gateway Timeout: upstream pool "${pool}" did not answer in time\n`);
  }
  if (failure === undefined) return text(502, `Bad Gateway: every server of upstream pool "${pool}" is down\n`);
  return text(502, `Bad Gateway: upstream pool "${pool}" could not be reached\n`);
}

/** The answer to a client that left: nobody reads it; 499 is what nginx logs for it. */
export function clientClosed(): Response {
  return new Response(null, { status: 499 });
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}
