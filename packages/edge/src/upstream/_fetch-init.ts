import type { UpstreamRequest } from './transport.ts';

/**
 * The `fetch` init for an upstream request: headers from the flat list,
 * the body as `body` gives it (see `SentBody`), redirects passed back as
 * they are, aborted with `signal`.
 */
export function fetchInit(request: UpstreamRequest, body: ReadableStream<Uint8Array> | null, signal: AbortSignal): RequestInit {
  const headers: [string, string][] = [];
  const flat = request.headers;
  for (let i = 0; i < flat.length; i += 2) headers.push([flat[i]!, flat[i + 1]!]);
  return {
    method: request.method,
    headers,
    body,
    duplex: 'half',
    redirect: 'manual',
    signal,
  } as RequestInit;
}
