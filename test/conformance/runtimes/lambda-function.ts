// The conformance App as a deployed Lambda function: bundled with esbuild
// and run by the runtime client in a process of its own.
import { handler as buffered, type LambdaHandler, streamHandler, type StreamingHandler } from '@gatehouse/lambda';
import { conformanceApp } from '../src/app.ts';

const onError = (error: unknown): void => console.error(`[conformance] function: ${(error as Error).message}`);

export const handler: LambdaHandler = buffered(conformanceApp, { deadlineMargin: 400, onError });
export const streaming: StreamingHandler = streamHandler(conformanceApp, { deadlineMargin: 400, onError });
