import { failureOfCode, TransportError } from '@gatehouse/edge';

/**
 * What an undici or socket failure before the response head means for the
 * edge: a `TransportError` of the matching kind, or the error itself when
 * it is a bug or an unsupported request rather than the server's failure.
 */
export function toTransportError(error: Error, bodySent: boolean): Error {
  const code = (error as { code?: unknown }).code;
  let kind = typeof code === 'string' ? failureOfCode(code) : undefined;
  // Happy eyeballs: one failure per address tried, all refusing a connection.
  if (kind === undefined && error instanceof AggregateError && error.errors.length > 0 && error.errors.every((each) => failureOfCode(String((each as { code?: unknown }).code)) === 'connect')) {
    return new TransportError('connect', error.message || (error.errors[0] as Error).message, { cause: error, bodySent });
  }
  if (kind === 'bug') {
    if (/upgrade/i.test(error.message)) {
      return new Error('undiciTransport sends an Upgrade field only in a WebSocket handshake (a GET with Connection: upgrade)', { cause: error });
    }
    return error;
  }
  return new TransportError(kind ?? 'reset', error.message || String(code ?? 'connection failed'), { cause: error, bodySent });
}

/** What a failure to open a connection means: nothing of the request was sent, whatever the code. */
export function connectFailure(error: Error): TransportError {
  const kind = failureOfCode(String((error as { code?: unknown }).code ?? ''));
  return new TransportError(kind === 'connect-timeout' ? 'connect-timeout' : kind === 'connect' ? 'connect' : 'reset', error.message, { cause: error, bodySent: false });
}
