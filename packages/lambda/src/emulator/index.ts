/**
 * Local stand-ins for what fronts a Lambda function on AWS, for development
 * and tests: an HTTP server that turns each request into a real event of a
 * chosen source.
 *
 * @module
 */
export { emulate, invocationContext, PAYLOAD_LIMIT, type BufferedHandler, type Emulator, type EmulatorOptions, type EmulatorTarget } from './server.ts';
export { startRuntimeApi, type Outcome, type RuntimeApi, type RuntimeApiOptions, type RuntimeProcess } from './runtime-api.ts';
export { runRuntimeClient, type RuntimeClientOptions } from './runtime-client.ts';
export { buildEvent, type EmulatedSource, type ReceivedRequest } from './event-builders.ts';
export { readPrelude, type Prelude } from './prelude.ts';
export { installAwsLambdaGlobal } from '../awslambda.ts';
export { bundleFunction, writeFunctionBundle, type BundledFunction, type BundleOptions } from './bundle.ts';
