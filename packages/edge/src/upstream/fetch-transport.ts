import { failureOfCode, TransportError, type TransportFailure, type TransportOptions, type UpstreamRequest } from './transport.ts';
import { fetchInit } from './_fetch-init.ts';
import { SentBody, serverClock } from './_sent-body.ts';

/** Content codings undici's fetch decodes (`lib/web/fetch`), all of which must be for it to decode. */
const DECODED = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'zstd']);

/**
 * Whether `fetch` hands over decoded bodies under their encoded headers.
 * undici's (Node's) does; Workers' passes a fetched response through with
 * its encoding intact.
 */
const DECODES_BODIES = !(typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers');

/**
 * The default {@link Transport}: the runtime's global `fetch`, on Workers
 * and Node alike, with `redirect: 'manual'` (redirects reach the client
 * as they are) and the body streamed (`duplex: 'half'`).
 *
 * What plain `fetch` cannot do, and what this does instead:
 *
 * - It cannot tell connecting from waiting for an answer, so
 *   `connectTimeout` is not enforced here: `responseTimeout` bounds each
 *   stretch of waiting for the server, from the call to the response head
 *   (connecting included), except while the body waits for the client,
 *   and past it the exchange fails as a 'timeout' (not retried for POST
 *   and PATCH, since the request may have been sent). The runtime's own
 *   connect timeout still applies (undici's 10 s on Node, Cloudflare's on
 *   Workers) and shows as 'connect-timeout' on Node. `undiciTransport()`
 *   from `@gatehouse/edge-node/transport` enforces both.
 * - A failure of the client's body (too large, or silent past
 *   `clientBodyTimeout`) is thrown as it is, where fetch would report it
 *   as 'fetch failed': the client's doing, never the server's.
 * - On Node, `fetch` decodes gzip, deflate, br and zstd bodies but keeps
 *   their `Content-Encoding` and `Content-Length`: those two are dropped
 *   so that the client gets a consistent, uncompressed answer.
 * - Errors come as `TypeError('fetch failed')`; their causes' codes give
 *   the {@link TransportFailure} on Node. Workers' errors carry no codes
 *   and count as 'reset'.
 * - Node 24's fetch (undici 7) starts reading a request body before it
 *   has connected, so there a request with a body is never retried under
 *   this transport, not even after a refused connection (the proxy sees
 *   its body touched). Node 26's reads it once connected, as the Node
 *   transports do.
 *
 * @example
 * ```ts
 * import { createProxy, fetchTransport } from '@gatehouse/edge'
 *
 * export default createProxy(pool, { transport: fetchTransport }) // the default anyway
 * ```
 */
export async function fetchTransport(request: UpstreamRequest, options: TransportOptions): Promise<Response> {
  const { responseTimeout, clientBodyTimeout, signal } = options;
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  let timedOut = false;
  // It runs while the exchange waits for the server: connecting, taking
  // the body, answering; not while the body waits for the client.
  const clock = serverClock(responseTimeout, () => {
    timedOut = true;
    controller.abort(new DOMException(`no response head within ${responseTimeout} ms`, 'TimeoutError'));
  });
  clock.start();
  // Kept after the head arrived: a client that leaves cancels the body too.
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  const source = request.body;
  const sent = source === null ? undefined : new SentBody(source, clientBodyTimeout, clock);
  const init = fetchInit(request, sent === undefined ? null : sent.stream, controller.signal);

  let response: Response;
  try {
    response = await fetch(request.url, init);
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason;
    // The client's body failed (too large, stalled): its failure as it is,
    // which fetch wraps as 'fetch failed'. Never the server's.
    if (sent?.failure !== undefined) throw sent.failure;
    const bodySent = source !== null && source.locked;
    if (timedOut) {
      throw new TransportError('timeout', `no response head within ${responseTimeout} ms`, { cause: error, bodySent });
    }
    const kind = failureOf(error);
    if (kind === 'bug') throw error;
    throw new TransportError(kind, describe(error), { cause: error, bodySent });
  } finally {
    clock.end();
  }
  if (DECODES_BODIES && response.body !== null && request.method !== 'HEAD') return withoutDecodedEncoding(response);
  return response;
}

/** What a failed fetch's causes say, nearest first. */
function failureOf(error: unknown): TransportFailure | 'bug' {
  let current: unknown = error;
  // fetch refuses the ports the Fetch standard calls bad before connecting.
  if ((error as { cause?: { message?: unknown } })?.cause?.message === 'bad port') return 'connect';
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      const kind = failureOfCode(code);
      if (kind !== undefined) return kind;
    }
    // Happy eyeballs: one error per address tried.
    const errors = (current as { errors?: unknown }).errors;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
  }
  return 'reset';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } }).cause;
  const message = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : (error as Error).message;
  return `upstream exchange failed: ${message}`;
}

function withoutDecodedEncoding(response: Response): Response {
  const encoding = response.headers.get('content-encoding');
  if (encoding === null) return response;
  const codings = encoding.toLowerCase().split(',');
  if (codings.length > 5 || !codings.every((coding) => DECODED.has(coding.trim()))) return response;
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
