import { randomUUID } from 'node:crypto';
import { isBinaryBody } from '../binary.ts';

/** The event sources the emulator can play. */
export type EmulatedSource = 'rest' | 'http' | 'function-url' | 'alb' | 'alb-multi' | 'lattice-v1' | 'lattice-v2';

/** An HTTP request as the emulator received it, body whole (as API Gateway and ALB buffer it). */
export interface ReceivedRequest {
  method: string;
  /** Path and query as sent, e.g. `/a%20b?x=1&x=2`. */
  target: string;
  /** Names and values in the order received, names as sent. */
  rawHeaders: readonly string[];
  body: Uint8Array;
  sourceIp: string;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/**
 * The event `source` would send for `request`, following the shapes in
 * AWS's documentation: what each source decodes, joins, drops or splits.
 */
export function buildEvent(source: EmulatedSource, request: ReceivedRequest): Record<string, unknown> {
  const at = request.target.indexOf('?');
  const path = at === -1 ? request.target : request.target.slice(0, at);
  const rawQuery = at === -1 ? '' : request.target.slice(at + 1);
  const query = parseQuery(rawQuery);
  const headers = groupHeaders(request.rawHeaders);
  const host = headers.get('host')?.[0] ?? 'localhost';
  // Like every AWS front door, say which scheme and port the client used:
  // here plain HTTP on the emulator's own port.
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', ['http']);
  if (!headers.has('x-forwarded-port')) headers.set('x-forwarded-port', [host.split(':')[1] ?? '80']);
  const { body, isBase64Encoded } = encodeBody(request.body, headers);
  const now = Date.now();

  switch (source) {
    case 'rest':
      return {
        resource: '/{proxy+}',
        path,
        httpMethod: request.method,
        headers: lastValues(headers),
        multiValueHeaders: Object.fromEntries(headers),
        queryStringParameters: query.size === 0 ? null : lastValues(decoded(query)),
        multiValueQueryStringParameters: query.size === 0 ? null : Object.fromEntries(decoded(query)),
        pathParameters: { proxy: path.slice(1) },
        stageVariables: null,
        requestContext: {
          accountId: ACCOUNT,
          apiId: 'emulated',
          domainName: host,
          httpMethod: request.method,
          identity: { sourceIp: request.sourceIp, userAgent: headers.get('user-agent')?.[0] ?? null },
          path: `/test${path}`,
          protocol: 'HTTP/1.1',
          requestId: randomUUID(),
          requestTimeEpoch: now,
          resourcePath: '/{proxy+}',
          stage: 'test',
        },
        body: body === '' ? null : body,
        isBase64Encoded,
      };
    case 'http':
    case 'function-url': {
      const cookies = headers.get('cookie')?.flatMap((value) => value.split(/;\s*/)).filter((c) => c !== '');
      const single: Record<string, string> = Object.create(null);
      for (const [name, values] of headers) if (name !== 'cookie') single[name] = values.join(',');
      const event: Record<string, unknown> = {
        version: '2.0',
        routeKey: source === 'http' ? 'ANY /{proxy+}' : '$default',
        rawPath: path,
        rawQueryString: rawQuery,
        headers: single,
        requestContext: {
          accountId: source === 'http' ? ACCOUNT : 'anonymous',
          apiId: 'emulated',
          domainName: host,
          http: { method: request.method, path, protocol: 'HTTP/1.1', sourceIp: request.sourceIp, userAgent: single['user-agent'] ?? '' },
          requestId: randomUUID(),
          routeKey: source === 'http' ? 'ANY /{proxy+}' : '$default',
          stage: '$default',
          time: new Date(now).toUTCString(),
          timeEpoch: now,
        },
        isBase64Encoded,
      };
      if (cookies !== undefined && cookies.length > 0) event.cookies = cookies;
      if (query.size > 0) event.queryStringParameters = Object.fromEntries([...decoded(query)].map(([k, v]) => [k, v.join(',')]));
      if (body !== '') event.body = body;
      return event;
    }
    case 'alb':
    case 'alb-multi': {
      // ALB passes query values through still encoded, and without the
      // multi-value fields keeps only the last value of a repeated name.
      const event: Record<string, unknown> = {
        requestContext: { elb: { targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/emulated/0123456789abcdef` } },
        httpMethod: request.method,
        path,
        body,
        isBase64Encoded,
      };
      const forwarded = withForwardedFor(headers, request.sourceIp);
      if (source === 'alb-multi') {
        event.multiValueHeaders = Object.fromEntries(forwarded);
        event.multiValueQueryStringParameters = Object.fromEntries(query);
      } else {
        event.headers = lastValues(forwarded);
        event.queryStringParameters = lastValues(query);
      }
      return event;
    }
    case 'lattice-v1': {
      const single: Record<string, string> = Object.create(null);
      for (const [name, values] of withForwardedFor(headers, request.sourceIp)) single[name] = values.join(',');
      return {
        raw_path: request.target,
        method: request.method,
        headers: single,
        query_string_parameters: lastValues(decoded(query)),
        body,
        is_base64_encoded: isBase64Encoded,
      };
    }
    case 'lattice-v2': {
      const queryParams: Record<string, string | string[]> = Object.create(null);
      for (const [name, values] of decoded(query)) queryParams[name] = values.length === 1 ? values[0]! : values;
      return {
        version: '2.0',
        path,
        method: request.method,
        headers: Object.fromEntries(withForwardedFor(headers, request.sourceIp)),
        queryStringParameters: queryParams,
        body,
        isBase64Encoded,
        requestContext: {
          serviceNetworkArn: `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:servicenetwork/sn-emulated`,
          serviceArn: `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:service/svc-emulated`,
          targetGroupArn: `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:targetgroup/tg-emulated`,
          identity: { sourceVpcArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-emulated`, type: 'NONE' },
          region: REGION,
          timeEpoch: String(now * 1000),
        },
      };
    }
  }
}

/**
 * Header values grouped by lower-cased name, in order. Node reads header
 * bytes one character each; AWS decodes them as UTF-8 before they reach the
 * event, and so does the emulator.
 */
function groupHeaders(raw: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = /[^\t\x20-\x7e]/.test(raw[i + 1]!) ? Buffer.from(raw[i + 1]!, 'latin1').toString('utf8') : raw[i + 1]!;
    const list = headers.get(name);
    if (list === undefined) headers.set(name, [value]);
    else list.push(value);
  }
  return headers;
}

function withForwardedFor(headers: Map<string, string[]>, sourceIp: string): Map<string, string[]> {
  const copy = new Map(headers);
  const previous = copy.get('x-forwarded-for');
  copy.set('x-forwarded-for', [previous === undefined ? sourceIp : `${previous.join(', ')}, ${sourceIp}`]);
  return copy;
}

/** Query values grouped by name, still encoded as sent. */
function parseQuery(raw: string): Map<string, string[]> {
  const query = new Map<string, string[]>();
  if (raw === '') return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    const list = query.get(name);
    if (list === undefined) query.set(name, [value]);
    else list.push(value);
  }
  return query;
}

function decoded(query: Map<string, string[]>): Map<string, string[]> {
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return new Map([...query].map(([name, values]) => [decode(name), values.map(decode)]));
}

function lastValues(map: Map<string, string[]>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, values] of map) out[name] = values[values.length - 1]!;
  return out;
}

function encodeBody(bytes: Uint8Array, headers: Map<string, string[]>): { body: string; isBase64Encoded: boolean } {
  if (bytes.byteLength === 0) return { body: '', isBase64Encoded: false };
  const contentType = headers.get('content-type')?.[0];
  const probe = new Headers(contentType === undefined ? {} : { 'content-type': contentType });
  if (contentType !== undefined && !isBinaryBody(probe)) {
    try {
      return { body: new TextDecoder('utf-8', { fatal: true }).decode(bytes), isBase64Encoded: false };
    } catch {
      // not UTF-8 after all: base64 below
    }
  }
  return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), isBase64Encoded: true };
}
