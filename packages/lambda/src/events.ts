/**
 * The Lambda event and result shapes this adapter reads and writes, as
 * small structural types: no dependency on `@types/aws-lambda` leaks into
 * the published declarations.
 */

type Headers1 = Record<string, string | undefined>;
type MultiHeaders = Record<string, string[] | undefined>;

/** API Gateway REST API (and HTTP API with payload format 1.0). */
export interface RestApiEvent {
  version?: string;
  resource?: string;
  path: string;
  httpMethod: string;
  headers?: Headers1 | null;
  multiValueHeaders?: MultiHeaders | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  pathParameters?: Record<string, string | undefined> | null;
  stageVariables?: Record<string, string | undefined> | null;
  requestContext: {
    stage?: string;
    domainName?: string;
    path?: string;
    identity?: { sourceIp?: string; [key: string]: unknown };
    authorizer?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** API Gateway HTTP API with payload format 2.0, and Lambda Function URLs. */
export interface HttpApiEvent {
  version: '2.0';
  routeKey?: string;
  rawPath: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Headers1;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  stageVariables?: Record<string, string | undefined>;
  requestContext: {
    stage?: string;
    domainName?: string;
    http: { method: string; path?: string; sourceIp?: string; protocol?: string; userAgent?: string };
    authorizer?: Record<string, unknown>;
    [key: string]: unknown;
  };
  body?: string;
  isBase64Encoded?: boolean;
}

/** An Application Load Balancer target: `multiValueHeaders` when the target group asks for them. */
export interface AlbEvent {
  httpMethod: string;
  path: string;
  headers?: Headers1;
  multiValueHeaders?: MultiHeaders;
  queryStringParameters?: Record<string, string | undefined>;
  multiValueQueryStringParameters?: Record<string, string[] | undefined>;
  requestContext: { elb: { targetGroupArn: string } };
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** VPC Lattice, event format 1. */
export interface LatticeV1Event {
  raw_path: string;
  method: string;
  headers?: Headers1;
  query_string_parameters?: Record<string, string | undefined>;
  body?: string | null;
  is_base64_encoded?: boolean;
}

/** VPC Lattice, event format 2: header values as strings or as lists, depending on the source. */
export interface LatticeV2Event {
  version: '2.0';
  path: string;
  method: string;
  headers?: Record<string, string | string[] | undefined>;
  queryStringParameters?: Record<string, string | string[] | undefined>;
  requestContext: {
    serviceNetworkArn?: string;
    serviceArn?: string;
    targetGroupArn?: string;
    identity?: Record<string, unknown>;
    region?: string;
    timeEpoch?: string;
    [key: string]: unknown;
  };
  body?: string | null;
  isBase64Encoded?: boolean;
}

export type LambdaHttpEvent = RestApiEvent | HttpApiEvent | AlbEvent | LatticeV1Event | LatticeV2Event;

/** Which HTTP source an event comes from, as `detectSource` reads it. */
export type EventSource = 'rest' | 'http' | 'alb' | 'lattice-v1' | 'lattice-v2';

/**
 * Which kind of event an invocation carries: an HTTP source, or
 * `'schedule'` for an EventBridge {@link ScheduledEvent}.
 *
 * @example
 * ```ts
 * const invocation = lambdaInvocation(ctx)
 * if (invocation?.source === 'schedule') console.log('run of', invocation.event.resources?.[0])
 * ```
 */
export type InvocationSource = EventSource | 'schedule';

/**
 * An EventBridge scheduled event: what a scheduled rule sends
 * (`source: 'aws.events'`), and what EventBridge Scheduler sends when the
 * schedule's input uses the same envelope (`source: 'aws.scheduler'`, the
 * schedule's ARN in `resources`). Both invoke the function asynchronously.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "7bf73129-1428-4cd3-a780-95db273d1602",
 *   "detail-type": "Scheduled Event",
 *   "source": "aws.events",
 *   "account": "123456789012",
 *   "time": "2026-11-25T20:00:00Z",
 *   "region": "us-east-1",
 *   "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly-report"],
 *   "detail": {}
 * }
 * ```
 */
export interface ScheduledEvent {
  version?: string;
  id?: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events' | 'aws.scheduler';
  account?: string;
  /** When the run was due, ISO 8601 (`2026-11-25T20:00:00Z`). */
  time?: string;
  region?: string;
  /** The ARN of the rule (or schedule) that sent the event. */
  resources?: string[];
  /** `{}` for a scheduled rule; whatever the input says for Scheduler. */
  detail?: unknown;
}

/** The result shapes Lambda expects back, per source. */
export interface RestApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export interface HttpApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface AlbResult {
  statusCode: number;
  statusDescription: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export type LatticeResult = AlbResult;

export type LambdaHttpResult = RestApiResult | HttpApiResult | AlbResult;

/** The Lambda runtime's context object, as far as this adapter uses it. */
export interface LambdaRuntimeContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  getRemainingTimeInMillis(): number;
  callbackWaitsForEmptyEventLoop?: boolean;
}
