/**
 * The request body was larger than `maxBodySize`. Reading such a body
 * rejects with this error; if the App lets it escape, the client gets 413.
 */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  readonly limit: number;
  constructor(limit: number) {
    super(`Request body is larger than the limit of ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** The client went away before it had sent the whole request body. */
export class ClientAbortedError extends Error {
  constructor(options?: ErrorOptions) {
    super('The client closed the connection before the request body was complete', options);
    this.name = 'ClientAbortedError';
  }
}

/**
 * The App took longer than `handlerTimeout` to answer. The error hook hears
 * of it, the request's signal aborts with a `TimeoutError`, and the client
 * gets 504.
 */
export class HandlerTimeoutError extends Error {
  readonly status = 504;
  readonly timeout: number;
  constructor(timeout: number, method: string | undefined, url: string | undefined) {
    super(`${method ?? 'GET'} ${url ?? '/'} did not answer within ${timeout} ms`);
    this.name = 'HandlerTimeoutError';
    this.timeout = timeout;
  }
}
