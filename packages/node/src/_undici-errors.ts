import type { TransportFailure } from './upstream.ts';

export const CONNECT_FAILURES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'EADDRNOTAVAIL',
]);

/** A failed exchange, shaped as `@gatehouse/edge`'s `TransportError`. */
export class UpstreamError extends Error {
  readonly kind: TransportFailure;
  readonly bodySent: boolean;
  constructor(kind: TransportFailure, message: string, options: ErrorOptions & { bodySent: boolean }) {
    super(message, options);
    // The name the edge recognises a transport failure by.
    this.name = 'TransportError';
    this.kind = kind;
    this.bodySent = options.bodySent;
  }
}

/**
 * What an undici failure before the response head means for the edge: a
 * `TransportError` (by shape) of the matching kind, or the error itself
 * when it is a bug or an unsupported request rather than the server's
 * failure.
 */
export function toTransportError(error: Error, bodySent: boolean): Error {
  const code = (error as { code?: unknown }).code;
  const options = { cause: error, bodySent };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamError('connect-timeout', error.message, options);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new UpstreamError('timeout', error.message, options);
  if (typeof code === 'string' && CONNECT_FAILURES.has(code)) return new UpstreamError('connect', error.message, options);
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every((each) => CONNECT_FAILURES.has((each as { code?: string }).code ?? ''))) {
    return new UpstreamError('connect', error.message || (error.errors[0] as Error).message, options);
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    // Our bug or an unsupported request, not the server's failure.
    if (/upgrade/i.test(error.message)) {
      return new Error('undiciTransport sends an Upgrade field only in a WebSocket handshake (a GET with Connection: upgrade)', { cause: error });
    }
    return error;
  }
  return new UpstreamError('reset', error.message || String(code ?? 'connection failed'), options);
}
