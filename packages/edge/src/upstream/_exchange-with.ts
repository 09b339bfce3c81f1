import type { Context } from '@gatehouse/core';
import type { UpstreamServer } from './_normalize.ts';
import { fetchInit } from './_fetch-init.ts';
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
 * `responseTimeout`, and turn what it throws into `TransportError`s.
 */
async function call(
  request: UpstreamRequest,
  { responseTimeout, signal }: TransportOptions,
  fetchLike: (request: Request) => Response | Promise<Response>,
): Promise<Response> {
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const source = request.body;
  const upstream = new Request(request.url, fetchInit(request, controller.signal));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout =
    responseTimeout > 0
      ? new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new TransportError('timeout', `no response head within ${responseTimeout} ms`, {
              bodySent: source !== null && source.locked,
            });
            controller.abort(error);
            reject(error);
          }, responseTimeout);
        })
      : undefined;
  try {
    const answer = Promise.resolve().then(() => fetchLike(upstream));
    const response = await (timeout === undefined ? answer : Promise.race([answer, timeout]));
    if (typeof response !== 'object' || response === null || typeof response.status !== 'number') {
      throw new TypeError(`the upstream answered ${String(response)} instead of a Response`);
    }
    return response;
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason;
    if (isTransportError(error)) throw error;
    throw new TransportError('reset', `the upstream failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      bodySent: source !== null && source.locked,
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
