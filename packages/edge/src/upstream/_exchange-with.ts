import type { Context } from '@gatehouse/core';
import type { UpstreamServer } from './_normalize.ts';
import { fetchInit } from './_fetch-init.ts';
import { SentBody, serverClock } from './_sent-body.ts';
import { isTransportError, type Transport, TransportError, type TransportOptions, type UpstreamRequest } from './transport.ts';

/** A Workers service binding, as much of it as the edge uses. */
export interface ServiceBinding {
  fetch(request: Request): Promise<Response>;
}

/**
 * One exchange with one server: over `transport` for a URL server, through
 * `env[binding].fetch` for a service binding, by calling the App for an
 * in-process one. Resolves with the response head; rejects with a
 * `TransportError`, or with the signal's reason once the client left.
 */
export function exchangeWith(
  server: UpstreamServer,
  request: UpstreamRequest,
  transport: Transport,
  options: TransportOptions,
  env: unknown,
  ctx: Context,
): Promise<Response> {
  if (server.origin !== undefined) return transport(request, options);
  if (server.binding !== undefined) {
    const binding = (env as Record<string, unknown> | undefined)?.[server.binding] as ServiceBinding | undefined;
    if (typeof binding?.fetch !== 'function') {
      return Promise.reject(new TransportError('connect', `service binding "${server.binding}" is not in env`));
    }
    return call(request, options, (upstream) => binding.fetch(upstream));
  }
  const app = server.app!;
  return call(request, options, (upstream) => app.fetch(upstream, env as never, ctx));
}

/**
 * Call a fetch-like function with a genuine Request, within
 * `responseTimeout` of waiting for it (not for the client's body), and
 * turn what it throws into `TransportError`s, or into the client's own
 * failure when the client's body failed.
 */
async function call(
  request: UpstreamRequest,
  { responseTimeout, clientBodyTimeout, signal }: TransportOptions,
  fetchLike: (request: Request) => Response | Promise<Response>,
): Promise<Response> {
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const source = request.body;

  let expire: ((error: TransportError) => void) | undefined;
  const timeout = new Promise<never>((_, reject) => (expire = reject));
  const clock = serverClock(responseTimeout, () => {
    const error = new TransportError('timeout', `no response head within ${responseTimeout} ms`, {
      bodySent: source !== null && source.locked,
    });
    controller.abort(error);
    expire!(error);
  });
  clock.start();
  const sent = source === null ? undefined : new SentBody(source, clientBodyTimeout, clock);
  const upstream = new Request(request.url, fetchInit(request, sent === undefined ? null : sent.stream, controller.signal));
  try {
    const answer = Promise.resolve().then(() => fetchLike(upstream));
    const response = await (responseTimeout > 0 ? Promise.race([answer, timeout]) : answer);
    if (typeof response !== 'object' || response === null || typeof response.status !== 'number') {
      throw new TypeError(`the upstream answered ${String(response)} instead of a Response`);
    }
    return response;
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason;
    if (sent?.failure !== undefined) throw sent.failure;
    if (isTransportError(error)) throw error;
    throw new TransportError('reset', `the upstream failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      bodySent: source !== null && source.locked,
    });
  } finally {
    clock.end();
  }
}
