import type { LambdaRuntimeContext } from './events.ts';

/** The response stream the Lambda runtime hands a streaming handler: a Node Writable. */
export interface ResponseStream {
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): void;
  destroy(error?: Error): void;
  once(event: 'drain' | 'close' | 'error' | 'finish', listener: (...args: unknown[]) => void): unknown;
  off(event: 'drain' | 'close' | 'error' | 'finish', listener: (...args: unknown[]) => void): unknown;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
  setContentType?(type: string): void;
}

/** What `awslambda.HttpResponseStream.from` sends ahead of the body. */
export interface HttpResponseMetadata {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

export type StreamingHandler = (event: unknown, stream: ResponseStream, context: LambdaRuntimeContext) => Promise<void>;

/** The global the Lambda Node.js runtime provides to streaming handlers. */
export interface AwsLambdaGlobal {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: { from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream };
}

/** The content type that tells Lambda a stream starts with HTTP metadata. */
export const HTTP_INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';

/** Marks a handler made by streamifyResponse. */
export const STREAMING: unique symbol = Symbol.for('aws.lambda.runtime.handler.streaming');

/** The runtime's `awslambda` global, if this process has one. */
export function awsLambdaGlobal(): AwsLambdaGlobal | undefined {
  return (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
}

/**
 * An `awslambda` global that does what the Lambda runtime's does, for
 * processes that are not Lambda (the emulator, tests): streamifyResponse
 * marks the handler; HttpResponseStream.from writes the metadata prelude,
 * its JSON then eight NUL bytes, ahead of the body.
 */
export function installAwsLambdaGlobal(): AwsLambdaGlobal {
  const existing = awsLambdaGlobal();
  if (existing !== undefined) return existing;
  const polyfill: AwsLambdaGlobal = {
    streamifyResponse(handler) {
      Object.defineProperty(handler, STREAMING, { value: 'response' });
      return handler;
    },
    HttpResponseStream: {
      from(stream, metadata) {
        stream.setContentType?.(HTTP_INTEGRATION_RESPONSE);
        stream.write(JSON.stringify(metadata));
        stream.write(new Uint8Array(8));
        return stream;
      },
    },
  };
  (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda = polyfill;
  return polyfill;
}
