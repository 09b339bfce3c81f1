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
