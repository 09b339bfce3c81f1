import { joinValues, safeHeaderValue } from './_headers.ts';
import { queryString } from './_query.ts';
import type {
  AlbEvent,
  EventSource,
  HttpApiEvent,
  LambdaHttpEvent,
  LatticeV1Event,
  LatticeV2Event,
  RestApiEvent,
} from './events.ts';
import type { PathOptions } from './path-options.ts';

/** What an event says about the request, before it becomes a Request. */
export interface RequestParts {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string | null;
  clientAddress: string | undefined;
}

/** The parts of a Request, read from an event of a known source. */
export function requestParts(event: LambdaHttpEvent, source: EventSource, options: PathOptions): RequestParts {
  switch (source) {
    case 'rest':
      return restParts(event as RestApiEvent, options);
    case 'http':
      return httpParts(event as HttpApiEvent, options);
    case 'alb':
      return albParts(event as AlbEvent, options);
    case 'lattice-v1':
      return latticeV1Parts(event as LatticeV1Event, options);
    case 'lattice-v2':
      return latticeV2Parts(event as LatticeV2Event, options);
  }
}

function restParts(event: RestApiEvent, options: PathOptions): RequestParts {
  const headers = headerRecord(event.multiValueHeaders, event.headers);
  let path = event.path;
  // A REST API hands over the path without its stage (requestContext.path
  // has it); an HTTP API with payload 1.0 hands over the same path in both,
  // stage included: strip it as for 2.0.
  if (path === event.requestContext.path) path = stripStage(path, event.requestContext.stage, options);
  return {
    method: event.httpMethod,
    url: urlOf(headers, event.requestContext.domainName, 'https', stripBase(path, options), queryString(event.multiValueQueryStringParameters, event.queryStringParameters, true)),
    headers,
    body: bodyOf(event.body, event.isBase64Encoded),
    clientAddress: event.requestContext.identity?.sourceIp,
  };
}

function httpParts(event: HttpApiEvent, options: PathOptions): RequestParts {
  const headers = headerRecord(undefined, event.headers);
  if (event.cookies !== undefined && event.cookies.length > 0) {
    // Payload 2.0 moves cookies out of the headers; a Cookie header, if any, is the same data.
    headers.cookie = safeHeaderValue(event.cookies.join('; '));
  }
  const path = stripStage(event.rawPath, event.requestContext.stage, options);
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return {
    method: event.requestContext.http.method,
    url: urlOf(headers, event.requestContext.domainName, 'https', stripBase(path, options), query),
    headers,
    body: bodyOf(event.body, event.isBase64Encoded),
    clientAddress: event.requestContext.http.sourceIp,
  };
}

function albParts(event: AlbEvent, options: PathOptions): RequestParts {
  const headers = headerRecord(event.multiValueHeaders, event.headers);
  return {
    method: event.httpMethod,
    // A health check has no Host header: it still gets a well-formed URL.
    url: urlOf(headers, undefined, 'http', stripBase(event.path, options), queryString(event.multiValueQueryStringParameters, event.queryStringParameters, false)),
    headers,
    body: bodyOf(event.body, event.isBase64Encoded),
    clientAddress: lastForwardedFor(headers),
  };
}

function latticeV1Parts(event: LatticeV1Event, options: PathOptions): RequestParts {
  return latticeParts(event.method, event.raw_path, event.query_string_parameters, event.headers, event.body, event.is_base64_encoded, options);
}

function latticeV2Parts(event: LatticeV2Event, options: PathOptions): RequestParts {
  return latticeParts(event.method, event.path, event.queryStringParameters, event.headers, event.body, event.isBase64Encoded, options);
}

/** Both Lattice formats carry the same parts under other names; the path may hold the query. */
function latticeParts(
  method: string,
  rawPath: string,
  params: Record<string, string | string[] | undefined> | undefined,
  eventHeaders: Record<string, string | string[] | undefined> | undefined,
  body: string | null | undefined,
  base64: boolean | undefined,
  options: PathOptions,
): RequestParts {
  const headers = headerRecord(undefined, eventHeaders);
  const [path, query] = splitQuery(rawPath);
  return {
    method,
    url: urlOf(headers, undefined, 'https', stripBase(path, options), query || queryString(undefined, params, true)),
    headers,
    body: bodyOf(body, base64),
    clientAddress: lastForwardedFor(headers),
  };
}

function headerRecord(
  multi: Record<string, readonly string[] | undefined> | null | undefined,
  single: Record<string, string | readonly string[] | undefined> | null | undefined,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const source = multi ?? single;
  if (source === null || source === undefined) return out;
  for (const name in source) {
    const value = source[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = typeof value === 'string' ? value : joinValues(lower, value);
    const previous = out[lower];
    out[lower] = safeHeaderValue(previous === undefined ? joined : joinValues(lower, [previous, joined]));
  }
  return out;
}

// A host name or address (no code point the URL standard forbids in a
// domain) and an optional port up to 65535: nothing that could bend the URL.
const VALID_HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_~!$&'()*+,;=]+)(?::(?:\d{1,4}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?$/;

// In a path that arrives decoded (HTTP APIs decode rawPath), "?" and "#"
// would end the path and a "%" that starts no escape would be read as one:
// they are escaped again. What is already escaped passes unchanged.
const PATH_LITERALS = /[?#]|%(?![0-9A-Fa-f]{2})/g;
const escapePathLiteral = (c: string): string => (c === '?' ? '%3F' : c === '#' ? '%23' : '%25');

function urlOf(headers: Record<string, string>, domainName: string | undefined, scheme: string, path: string, query: string): string {
  // The Host header first (custom domains), then the domain the event names,
  // then a placeholder: an event with none of them, or a malformed one,
  // still gets a URL the App can parse.
  const host = [headers.host, domainName].find((candidate) => candidate !== undefined && VALID_HOST.test(candidate)) ?? 'localhost';
  const forwarded = headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const proto = forwarded === 'http' || forwarded === 'https' ? forwarded : scheme;
  const escaped = path.includes('?') || path.includes('#') || path.includes('%') ? path.replace(PATH_LITERALS, escapePathLiteral) : path;
  const safePath = escaped.startsWith('/') ? escaped : `/${escaped}`;
  return `${proto}://${host}${safePath}${query}`;
}

/** `path` without a leading named stage (`/prod/users` → `/users`), unless told to keep it. */
function stripStage(path: string, stage: string | undefined, options: PathOptions): string {
  if (options.stripStage === false || stage === undefined || stage === '$default') return path;
  const prefix = `/${stage}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function stripBase(path: string, options: PathOptions): string {
  const base = options.basePath;
  if (base === undefined || base === '' || base === '/') return path;
  const prefix = base.endsWith('/') ? base.slice(0, -1) : base;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function splitQuery(path: string): [string, string] {
  const at = path.indexOf('?');
  return at === -1 ? [path, ''] : [path.slice(0, at), path.slice(at)];
}

function bodyOf(body: string | null | undefined, base64: boolean | undefined): Uint8Array | string | null {
  if (body === null || body === undefined || body === '') return null;
  if (base64 !== true) return body;
  const bytes = Buffer.from(body, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function lastForwardedFor(headers: Record<string, string>): string | undefined {
  // The load balancer appends the address it saw: the last entry is the one it vouches for.
  const list = headers['x-forwarded-for'];
  if (list === undefined) return undefined;
  const last = list.split(',').pop()?.trim();
  return last === '' ? undefined : last;
}
