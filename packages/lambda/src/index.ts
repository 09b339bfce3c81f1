/**
 * Run any Gatehouse App on AWS Lambda, for every HTTP event source, and its
 * scheduled tasks from EventBridge schedules.
 *
 * @module
 */
export { handler, type HandlerOptions, type LambdaHandler } from './handler.ts';
export { streamHandler } from './stream-handler.ts';
export type { AwsLambdaGlobal, HttpResponseMetadata, ResponseStream, StreamingHandler } from './awslambda.ts';
export { isBinaryBody } from './binary.ts';
export { detectSource, isScheduledEvent } from './detect.ts';
export {
  lambdaInvocation,
  type LambdaContext,
  type LambdaHttpInvocation,
  type LambdaInvocation,
  type LambdaScheduledInvocation,
} from './context.ts';
export { LambdaRequest } from './lambda-request.ts';
export type { PathOptions } from './path-options.ts';
export type * from './events.ts';
