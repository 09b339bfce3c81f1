import type { Context } from '@gatehouse/core';
import type { Transport, TransportOptions, UpstreamRequest } from '../upstream/transport.ts';

/** What a scripted transport saw of one exchange. */
export interface Seen {
  readonly request: UpstreamRequest;
  readonly options: TransportOptions;
  /** The request's header fields as a Headers object, for reading. */
  readonly headers: Headers;
  /** `http://host:port` of the server it went to. */
  readonly server: string;
}

/**
 * A transport whose answers the test scripts: `answer` gets each request
 * and returns a Response, or throws (a TransportError, typically).
 */
export function scripted(answer: (request: UpstreamRequest, seen: Seen[], options: TransportOptions) => Response | Promise<Response>): {
  transport: Transport;
  seen: Seen[];
} {
  const seen: Seen[] = [];
  const transport: Transport = async (request, options) => {
    const headers = new Headers();
    for (let i = 0; i < request.headers.length; i += 2) headers.append(request.headers[i]!, request.headers[i + 1]!);
    seen.push({ request, options, headers, server: new URL(request.url).origin });
    return answer(request, seen, options);
  };
  return { transport, seen };
}

/** A Context as an adapter would give it; the client is 203.0.113.7 unless told otherwise. */
export function context(options: { clientAddress?: string | undefined; pending?: Promise<unknown>[] } = {}): Context {
  const clientAddress = 'clientAddress' in options ? options.clientAddress : '203.0.113.7';
  const pending = options.pending ?? [];
  return {
    waitUntil: (promise) => void pending.push(promise),
    passThroughOnException() {},
    clientAddress,
    runtime: 'test',
    props: {},
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** Silence for the proxy's failure log. */
export const quiet = (): void => {};
