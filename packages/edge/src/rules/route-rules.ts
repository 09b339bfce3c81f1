import type { Context } from '@gatehouse/core';
import { type BasicAuthRules, compileBasicAuth } from './basic-auth.ts';
import { compileAccess } from './client-access.ts';
import { type CompiledCors, compileCors, type CorsRules } from './cors.ts';
import { compileConcurrency, type ConcurrencyRules, type ConcurrencyShare } from './concurrency-limit.ts';
import { watchEnd } from '../_watch-end.ts';
import { compileRateLimit, type RateLimitRules } from './rate-limit.ts';

/**
 * What a route may ask of a request before it runs, and add to its
 * answer: nginx's `allow`/`deny`, `client_max_body_size`,
 * `limit_except`, `large_client_header_buffers` and `add_header`. Set on a
 * route, a site (`SiteConfig.rules`) or the whole edge (`EdgeConfig.rules`);
 * each one a route sets replaces the site's, which replaces the edge's, as
 * an nginx `location` replaces what it would inherit.
 */
export interface RouteRules {
  /**
   * Who may use the route, decided by the first rule that matches the
   * client's address (`ctx.clientAddress`): `['allow 10.0.0.0/8', 'allow
   * 2001:db8::/32', 'deny all']`. A client no rule matches is allowed; a
   * denied one gets 403.
   */
  readonly access?: readonly string[];
  /**
   * The methods the route answers; any other gets 405 with `Allow`. HEAD
   * goes with GET, as in nginx's `limit_except`.
   */
  readonly methods?: readonly string[];
  /**
   * The largest request body, in bytes: a larger `Content-Length` gets 413
   * before any of the body is read, and a body without one is cut at the
   * limit, with 413. The runtime's own limit still applies (on Node,
   * `serve`'s `maxBodySize`, 10 MiB unless set).
   */
  readonly maxBodySize?: number;
  /** The most request header fields, and their most bytes (names and values): past either, 431. */
  readonly maxHeaderCount?: number;
  readonly maxHeaderSize?: number;
  /**
   * Fields set on every answer, errors included (nginx's `add_header …
   * always`): `headers: securityHeaders` for the usual ones.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * For a site that is served over HTTPS: `redirect` sends a plain-HTTP
   * request to the same URL on https:// (301, or 308 so that a POST stays
   * one), and `hsts` adds `Strict-Transport-Security` to HTTPS answers.
   */
  readonly https?: HttpsRules;
  /** Cross-origin requests: preflights answered here, `Access-Control-*` on the answers. */
  readonly cors?: CorsRules;
  /** HTTP Basic authentication against hashed passwords (`hashPassword`); others get 401. */
  readonly basicAuth?: BasicAuthRules;
  /** Requests a client may make (nginx's `limit_req`): past it, 429 with `Retry-After`. */
  readonly rateLimit?: RateLimitRules;
  /** Requests a client may have in flight at once (nginx's `limit_conn`): one more gets 429. */
  readonly concurrency?: ConcurrencyRules;
}

export interface HttpsRules {
  readonly redirect?: 301 | 308 | false;
  readonly hsts?: false | { readonly maxAge: number; readonly includeSubDomains?: boolean; readonly preload?: boolean };
}

/**
 * Headers most sites want on every answer, as their recommendations
 * (OWASP's secure headers project) give them; spread them into `headers`
 * to add or change one.
 */
export const securityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cross-origin-opener-policy': 'same-origin',
});

/** The names {@link RouteRules} has, to tell them from a route's own options. */
export const RULE_NAMES: ReadonlySet<string> = new Set(['access', 'methods', 'maxBodySize', 'maxHeaderCount', 'maxHeaderSize', 'headers', 'https', 'cors', 'basicAuth', 'rateLimit', 'concurrency']);

/**
 * A request the rules let through: as it came, or with its body bounded to
 * the limit, and then `cut` says whether the client sent more.
 */
export interface Passed {
  readonly request: Request;
  readonly cut?: () => boolean;
  /** Ends the request's share of a concurrency limit: once its answer's body has gone. */
  readonly release?: () => void;
}

/** Rules compiled once per route: what checks a request, and what changes its answer. */
export interface CompiledRules {
  /** A refusal (401, 403, 405, 413, 431, a redirect to https://), a preflight's answer, or the request to run the route with. */
  check(request: Request, ctx: Context): Response | Passed | Promise<Response | Passed>;
  /** Whether a request known only by its head passes every check, so that its answer may be made from the head. */
  passesHead(method: string, url: string, headers: { forEach(callback: (value: string, name: string) => void): void }, ctx: Context): boolean;
  /** The route's answer to `request` with the rules' headers on it; a 413 for a body cut at the limit. */
  finish(request: Request, answer: Promise<Response> | Response, cut?: () => boolean, release?: () => void): Promise<Response> | Response;
  /** Whether `finish` changes answers (then a route's answer from the head is not used). */
  readonly changesAnswers: boolean;
}

/**
 * The rules of the levels given (the edge's, the site's, the route's),
 * each name taken from the last level that sets it; `undefined` when no
 * level sets any.
 */
export function compileRules(levels: readonly (RouteRules | undefined)[], where: string): CompiledRules | undefined {
  const rules: Record<string, unknown> = {};
  for (const level of levels) {
    if (level === undefined) continue;
    for (const name of RULE_NAMES) {
      const value = (level as Record<string, unknown>)[name];
      if (value !== undefined) rules[name] = value;
    }
  }
  if (Object.keys(rules).length === 0) return undefined;
  const { access, methods, maxBodySize, maxHeaderCount, maxHeaderSize, headers, https, cors, basicAuth, rateLimit, concurrency } = rules as RouteRules;
  const fail = (message: string): never => {
    throw new Error(`${where}: ${message}`);
  };

  let allowed: ((address: string | undefined) => boolean) | undefined;
  if (access !== undefined) {
    if (!Array.isArray(access)) fail('access is a list of rules, like ["allow 10.0.0.0/8", "deny all"]');
    try {
      allowed = compileAccess(access);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  let allow: ReadonlySet<string> | undefined;
  let allowField = '';
  if (methods !== undefined) {
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((method) => typeof method === 'string' && /^[A-Za-z]+$/.test(method))) {
      fail(`methods is a list of methods, like ["GET", "POST"], not ${JSON.stringify(methods)}`);
    }
    const upper = methods.map((method) => method.toUpperCase());
    if (upper.includes('GET') && !upper.includes('HEAD')) upper.push('HEAD');
    allow = new Set(upper);
    allowField = upper.join(', ');
  }
  for (const [name, value] of [['maxBodySize', maxBodySize], ['maxHeaderCount', maxHeaderCount], ['maxHeaderSize', maxHeaderSize]] as const) {
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && (Number.isInteger(value) || value === Infinity))) {
      fail(`${name} is a number of ${name === 'maxHeaderCount' ? 'fields' : 'bytes'} ≥ 0, not ${JSON.stringify(value)}`);
    }
  }
  const added: [string, string][] = [];
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null) fail('headers is an object of field names and values');
    for (const [name, value] of Object.entries(headers)) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
        fail(`headers: ${JSON.stringify(name)}: ${JSON.stringify(value)} is not a header field`);
      }
      added.push([name.toLowerCase(), value]);
    }
  }
  const redirectStatus = https?.redirect === undefined || https.redirect === false ? undefined : https.redirect;
  if (redirectStatus !== undefined && redirectStatus !== 301 && redirectStatus !== 308) fail('https.redirect is 301, 308 or false');
  let hsts: string | undefined;
  if (https?.hsts !== undefined && https.hsts !== false) {
    const { maxAge, includeSubDomains = false, preload = false } = https.hsts;
    if (!Number.isInteger(maxAge) || maxAge < 0) fail(`https.hsts.maxAge is a number of seconds, not ${JSON.stringify(maxAge)}`);
    hsts = `max-age=${maxAge}${includeSubDomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
  }

  let crossOrigin: CompiledCors | undefined;
  if (cors !== undefined) {
    if (typeof cors !== 'object' || cors === null) fail('cors is an object with at least origins');
    crossOrigin = compileCors(cors, (message) => fail(message));
  }
  let authorize: ((authorization: string | null) => Promise<Response | undefined>) | undefined;
  if (basicAuth !== undefined) {
    if (typeof basicAuth !== 'object' || basicAuth === null) fail('basicAuth is { realm, users }');
    authorize = compileBasicAuth(basicAuth, (message) => fail(message));
  }

  let limited: ReturnType<typeof compileRateLimit> | undefined;
  if (rateLimit !== undefined) {
    if (typeof rateLimit !== 'object' || rateLimit === null) fail('rateLimit is { rate, burst?, key?, store?, zone? }');
    limited = compileRateLimit(rateLimit, where, (message) => fail(message));
  }

  let counted: ReturnType<typeof compileConcurrency> | undefined;
  if (concurrency !== undefined) {
    if (typeof concurrency !== 'object' || concurrency === null) fail('concurrency is { max, key?, store?, zone? }');
    counted = compileConcurrency(concurrency, where, (message) => fail(message));
  }

  const refuse = (status: number, text: string, fields: Record<string, string> = {}): Response =>
    new Response(`${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...fields } });

  /** The check every request goes through, from its head; a refusal, or undefined to go on. */
  const checkHead = (method: string, url: string, fields: { forEach(callback: (value: string, name: string) => void): void }, address: string | undefined): Response | undefined => {
    if (redirectStatus !== undefined && url.startsWith('http://')) {
      return new Response(null, { status: redirectStatus, headers: { location: `https://${url.slice('http://'.length)}` } });
    }
    if (maxHeaderCount !== undefined || maxHeaderSize !== undefined) {
      let count = 0;
      let size = 0;
      fields.forEach((value, name) => {
        count++;
        size += name.length + value.length;
      });
      if (count > (maxHeaderCount ?? Infinity) || size > (maxHeaderSize ?? Infinity)) return refuse(431, 'Request Header Fields Too Large');
    }
    if (allowed !== undefined && !allowed(address)) return refuse(403, 'Forbidden');
    if (allow !== undefined && !allow.has(method)) return refuse(405, 'Method Not Allowed', { allow: allowField });
    return undefined;
  };

  /** The body limit, once every other check passed. */
  const bounded = (request: Request): Response | Passed => {
    if (maxBodySize === undefined || request.body === null || maxBodySize === Infinity) return { request };
    const length = request.headers.get('content-length');
    if (length !== null) {
      // A declared length past the limit: refused before a byte is read (the runtime checks the body keeps to it).
      return Number(length) > maxBodySize ? refuse(413, 'Content Too Large') : { request };
    }
    const limit = bodyLimit(maxBodySize);
    return { request: new Request(request, { body: request.body.pipeThrough(limit.stream), duplex: 'half' } as RequestInit), cut: limit.cut };
  };

  /** The body limit for a request the concurrency limit counted (or refused): a refusal gives its place back. */
  const counting = (request: Request, share: ConcurrencyShare): Response | Passed => {
    if (share instanceof Response) return share;
    const passed = bounded(request);
    return share === undefined || passed instanceof Response ? (share?.(), passed) : { ...passed, release: share };
  };

  /** An answer with the rules' fields on it, and 413 for a body cut at the limit. */
  const withRules = (request: Request, answer: Promise<Response> | Response, cut: (() => boolean) | undefined): Promise<Response> | Response => {
    const url = request.url;
    if (added.length === 0 && hsts === undefined && maxBodySize === undefined && crossOrigin === undefined) return answer;
    const origin = crossOrigin === undefined ? undefined : request.headers.get('origin');
    const decorate = (response: Response): Response => {
      // The body was cut at the limit, and the route answered anyway (a
      // server that answered on what it got, or a pipe that ended the
      // body where it was cut): the answer was to a body the client did
      // not send.
      if (cut?.() === true && response.status !== 413) {
        response.body?.cancel().catch(() => {});
        return decorate(refuse(413, 'Content Too Large'));
      }
      const fields: (readonly [string, string])[] = [...added];
      if (hsts !== undefined && url.startsWith('https://')) fields.push(['strict-transport-security', hsts]);
      // A preflight's answer has its own.
      if (crossOrigin !== undefined && !response.headers.has('access-control-allow-methods')) fields.push(...crossOrigin.answerFields(origin ?? null));
      // An upgraded answer (a WebSocket's 101) carries its socket: it goes as it is.
      if (response.status === 101 || fields.length === 0) return response;
      const set = (target: Headers): void => {
        for (const [name, value] of fields) {
          // Vary lists what the answer depends on: a name is added to it, never put in its place.
          const had = name === 'vary' ? target.get('vary') : null;
          target.set(name, had === null || had.toLowerCase().split(/\s*,\s*/).includes(value.toLowerCase()) ? (had ?? value) : `${had}, ${value}`);
        }
      };
      try {
        set(response.headers);
        return response;
      } catch {
        // A fetched response's fields may be immutable (Workers): copy it once.
        const copy = new Response(response.body, response);
        set(copy.headers);
        return copy;
      }
    };
    const tooLarge = (error: unknown): Response => {
      if ((error as { name?: unknown })?.name === 'BodyTooLargeError') return decorate(refuse(413, 'Content Too Large'));
      throw error;
    };
    if (answer instanceof Response) return decorate(answer);
    return answer.then(decorate, tooLarge);
  };

  return {
    changesAnswers:
      added.length > 0 || hsts !== undefined || maxBodySize !== undefined || crossOrigin !== undefined || authorize !== undefined || limited !== undefined || counted !== undefined,
    passesHead: (method, url, fields, ctx) =>
      authorize === undefined && limited === undefined && counted === undefined && checkHead(method, url, fields, ctx.clientAddress) === undefined,
    check(request, ctx) {
      const refused = checkHead(request.method, request.url, request.headers, ctx.clientAddress);
      if (refused !== undefined) {
        // A preflight is not the method it asks about: it is answered here, before methods and credentials (it carries none).
        const preflight = refused.status === 405 ? crossOrigin?.preflight(request.method, request.headers) : undefined;
        return preflight ?? refused;
      }
      const rest = (): Response | Passed | Promise<Response | Passed> => {
        const preflight = crossOrigin?.preflight(request.method, request.headers);
        if (preflight !== undefined) return preflight;
        const authorized = (): Response | Passed | Promise<Response | Passed> => {
          if (counted === undefined) return bounded(request);
          const share = counted(request.headers, ctx.clientAddress);
          return share instanceof Promise ? share.then((settled) => counting(request, settled)) : counting(request, share);
        };
        if (authorize === undefined) return authorized();
        return authorize(request.headers.get('authorization')).then((unauthorized) => unauthorized ?? authorized());
      };
      const overLimit = limited?.(request.headers, ctx.clientAddress);
      if (overLimit === undefined) return rest();
      if (overLimit instanceof Promise) return overLimit.then((refusal) => refusal ?? rest());
      return overLimit;
    },
    finish(request, answer, cut, release) {
      if (release !== undefined) {
        // The share ends with the answer's body, or at once when there is none to wait for.
        const ending = (response: Response): Response => {
          if (response.body === null || response.status === 101) {
            release();
            return response;
          }
          return new Response(watchEnd(response.body, release), response);
        };
        const decorated = withRules(request, answer, cut);
        return decorated instanceof Promise
          ? decorated.then(ending, (error: unknown) => {
              release();
              throw error;
            })
          : ending(decorated);
      }
      return withRules(request, answer, cut);
    },
  };
}

/** The error a body cut at `maxBodySize` fails with: as `@gatehouse/node`'s, by name, so a proxy passes it on as the client's fault. */
class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(limit: number) {
    super(`Request body is larger than the limit of ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

function bodyLimit(limit: number): { stream: TransformStream<Uint8Array, Uint8Array>; cut: () => boolean } {
  let seen = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new BodyTooLargeError(limit));
      else controller.enqueue(chunk);
    },
  });
  return { stream, cut: () => seen > limit };
}
