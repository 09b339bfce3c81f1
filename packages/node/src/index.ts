/**
 * Run any Gatehouse App on Node's HTTP server.
 *
 * @module
 */
export { serve } from './serve.ts';
export { createListener } from './listener.ts';
export { NodeRequest } from './_request.ts';
export { upgradedResponse } from './_upgraded.ts';
export { takeWholeBody, wholeBodyStream } from './_whole-body.ts';
export { BodyTooLargeError, ClientAbortedError, HandlerTimeoutError } from './errors.ts';
export type { ErrorHook, ListenerOptions, NodeServer, ServeOptions, TrustProxy } from './options.ts';
export type { IncomingRequest, OutgoingResponse, RequestListener } from './types.ts';
