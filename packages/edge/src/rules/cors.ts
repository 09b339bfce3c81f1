/**
 * Cross-origin requests a route accepts (the Fetch standard's CORS
 * protocol): preflights answered at the edge, and the `Access-Control-*`
 * fields on the answers to the requests themselves.
 */
export interface CorsRules {
  /** The origins allowed: `'*'`, a list (`https://app.example.com`), or a test. */
  readonly origins: '*' | readonly string[] | ((origin: string) => boolean);
  /** The methods a preflight allows. Defaults to GET, HEAD and POST. */
  readonly methods?: readonly string[];
  /** The request fields a preflight allows. Defaults to the ones it asks for. */
  readonly headers?: readonly string[];
  /** The response fields scripts may read beyond the safelisted ones. */
  readonly exposeHeaders?: readonly string[];
  /** Whether requests with cookies or credentials are allowed (the origin is then always named, never `*`). */
  readonly credentials?: boolean;
  /** Seconds a browser may keep a preflight's answer. Defaults to 600. */
  readonly maxAge?: number;
}

/** CORS rules compiled once per route. */
export interface CompiledCors {
  /** The answer to a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`), or undefined for any other request. */
  preflight(method: string, headers: Headers): Response | undefined;
  /** The fields the answer to `origin`'s request gets (always `Vary: Origin`). */
  answerFields(origin: string | null): readonly (readonly [string, string])[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function compileCors(rules: CorsRules, fail: (message: string) => never): CompiledCors {
  const { origins, methods = ['GET', 'HEAD', 'POST'], headers, exposeHeaders = [], credentials = false, maxAge = 600 } = rules;
  let allowed: (origin: string) => boolean;
  if (origins === '*') allowed = () => true;
  else if (typeof origins === 'function') allowed = origins;
  else if (Array.isArray(origins) && origins.every((origin) => typeof origin === 'string' && /^https?:\/\/[^/]+$/.test(origin))) {
    const listed = new Set(origins.map((origin) => origin.toLowerCase()));
    allowed = (origin) => listed.has(origin.toLowerCase());
  } else {
    return fail(`cors.origins is '*', a list of origins like "https://app.example.com" (no path), or a function, not ${JSON.stringify(origins)}`);
  }
  for (const [name, list] of [['methods', methods], ['headers', headers ?? []], ['exposeHeaders', exposeHeaders]] as const) {
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && TOKEN.test(item))) fail(`cors.${name} is a list of names, not ${JSON.stringify(list)}`);
  }
  if (!Number.isInteger(maxAge) || maxAge < 0) fail(`cors.maxAge is a number of seconds, not ${JSON.stringify(maxAge)}`);
  // With credentials a browser refuses `*`: the origin is named.
  const anyOrigin = origins === '*' && !credentials;
  const allowMethods = methods.map((method) => method.toUpperCase()).join(', ');
  const allowHeaders = headers?.join(', ');
  const exposed = exposeHeaders.join(', ');

  const originFields = (origin: string): [string, string][] => {
    const fields: [string, string][] = [['access-control-allow-origin', anyOrigin ? '*' : origin]];
    if (credentials) fields.push(['access-control-allow-credentials', 'true']);
    return fields;
  };
  return {
    preflight(method, fields) {
      if (method !== 'OPTIONS') return undefined;
      const origin = fields.get('origin');
      const asked = fields.get('access-control-request-method');
      if (origin === null || asked === null) return undefined;
      const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
      // An origin not allowed gets an answer without the fields: the browser refuses the request itself.
      if (!allowed(origin)) return new Response(null, { status: 204, headers: { vary } });
      const answer = new Headers(originFields(origin));
      answer.set('access-control-allow-methods', allowMethods);
      const askedHeaders = fields.get('access-control-request-headers');
      const headersAllowed = allowHeaders ?? askedHeaders;
      if (headersAllowed !== null && headersAllowed !== '') answer.set('access-control-allow-headers', headersAllowed);
      answer.set('access-control-max-age', String(maxAge));
      answer.set('vary', vary);
      return new Response(null, { status: 204, headers: answer });
    },
    answerFields(origin) {
      const vary: [string, string] = ['vary', 'Origin'];
      if (origin === null || !allowed(origin)) return anyOrigin ? [['access-control-allow-origin', '*']] : [vary];
      const fields = originFields(origin);
      if (exposed !== '') fields.push(['access-control-expose-headers', exposed]);
      if (!anyOrigin) fields.push(vary);
      return fields;
    },
  };
}
