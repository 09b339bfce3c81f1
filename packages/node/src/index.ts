/**
 * Run any Gatehouse App on Node's HTTP server.
 *
 * @module
 */
export { serve } from './serve.ts';
export { createListener } from './listener.ts';
export { NodeRequest } from './node-request.ts';
export { upgradedResponse } from './upgraded-response.ts';
export { takeWholeBody, wholeBodyStream } from './whole-body.ts';
export { BodyTooLargeError, ClientAbortedError, HandlerTimeoutError } from './errors.ts';
export type { ErrorHook, ListenerOptions, NodeServer, ServeOptions, TrustProxy } from './options.ts';
export type { IncomingRequest, OutgoingResponse, RequestListener } from './types.ts';
