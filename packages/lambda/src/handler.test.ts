import { describe, expect, it, vi } from 'vitest';
import { echoApp, fixture, lambdaContext } from './_test-helpers.ts';
import { lambdaInvocation } from './context.ts';
import { detectSource } from './detect.ts';
import type { AlbResult, HttpApiResult, RestApiResult } from './events.ts';
import { handler } from './handler.ts';

const serve = handler(echoApp, { onError: () => {} });
const seen = async (name: string) => JSON.parse(((await serve(fixture(name), lambdaContext())) as { body: string }).body);

describe('sources', () => {
  it.each([
    ['rest', 'rest'],
    ['rest-custom-domain', 'rest'],
    ['http-api', 'http'],
    ['function-url', 'http'],
    ['alb-single', 'alb'],
    ['alb-multi', 'alb'],
    ['alb-health-check', 'alb'],
    ['lattice-v1', 'lattice-v1'],
    ['lattice-v2', 'lattice-v2'],
  ])('reads %s as a %s event', (name, source) => {
    expect(detectSource(fixture(name))).toBe(source);
  });

  it('takes a REST event with a version field for what it is', () => {
    expect(detectSource({ ...fixture('rest'), version: '2.0' })).toBe('rest');
  });
});

describe('REST API (payload 1.0)', () => {
  it('rebuilds method, URL, query, headers and body', async () => {
    const request = await seen('rest');
    expect(request.method).toBe('POST');
    // Values arrive decoded: they are encoded again, repeated keys kept.
    expect(request.url).toBe('https://abcdef123.execute-api.us-east-1.amazonaws.com/users/42?tag=a&tag=b&q=a%26b%3Dc');
    expect(request.headers.cookie).toBe('a=1; b=2');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toBe('{"name":"Ada"}');
    expect(request.clientAddress).toBe('203.0.113.7');
    expect(request.runtime).toBe('lambda');
  });

  it('strips a base path when told to', async () => {
    const withBase = handler(echoApp, { basePath: '/v1' });
    const result = (await withBase(fixture('rest-custom-domain'), lambdaContext())) as RestApiResult;
    expect(JSON.parse(result.body).url).toBe('https://api.example.com/users');
  });

  it('answers with multiValueHeaders, each cookie apart', async () => {
    const app = {
      fetch: () => {
        const headers = new Headers({ 'content-type': 'text/plain' });
        headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
        headers.append('set-cookie', 'b=2');
        return new Response('ok', { status: 201, headers });
      },
    };
    const result = (await handler(app)(fixture('rest'), lambdaContext())) as RestApiResult;
    expect(result).toEqual({
      statusCode: 201,
      multiValueHeaders: {
        'content-type': ['text/plain'],
        'set-cookie': ['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2'],
      },
      body: 'ok',
      isBase64Encoded: false,
    });
  });
});

describe('HTTP API (payload 2.0) and Function URLs', () => {
  it('uses the raw query string, joins cookies, decodes base64 and drops the stage', async () => {
    const request = await seen('http-api');
    expect(request.url).toBe('https://r3pmxmplak.execute-api.us-east-2.amazonaws.com/users/42?tag=a&tag=b&q=a%26b%3Dc');
    expect(request.headers.cookie).toBe('a=1; b=2');
    expect(request.body).toBe('{"name":"Ada"}');
    expect(request.clientAddress).toBe('203.0.113.7');
  });

  it('keeps the stage in the path when told to', async () => {
    const keep = handler(echoApp, { stripStage: false });
    const result = (await keep(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(new URL(JSON.parse(result.body).url).pathname).toBe('/prod/users/42');
  });

  it('keeps a decoded "?", "#" or stray "%" in rawPath inside the path', async () => {
    const app = { fetch: (r: Request) => Response.json({ path: new URL(r.url).pathname, search: new URL(r.url).search, hash: new URL(r.url).hash }) };
    const event = fixture<{ rawPath: string; rawQueryString: string }>('function-url');
    event.rawPath = '/files/a?admin=1#x 100%';
    event.rawQueryString = 'page=2';
    const result = (await handler(app)(event, lambdaContext())) as HttpApiResult;
    expect(JSON.parse(result.body)).toEqual({ path: '/files/a%3Fadmin=1%23x%20100%25', search: '?page=2', hash: '' });
  });

  it('strips the stage from an HTTP API payload 1.0 path, which carries it', async () => {
    const event = fixture<{ path: string; requestContext: { path: string; stage: string } }>('rest');
    event.path = '/dev/users';
    event.requestContext.path = '/dev/users';
    event.requestContext.stage = 'dev';
    const result = (await serve(event, lambdaContext())) as RestApiResult;
    expect(new URL(JSON.parse(result.body).url).pathname).toBe('/users');
  });

  it('serves a Function URL event', async () => {
    const request = await seen('function-url');
    expect(request.method).toBe('GET');
    expect(request.url).toBe('https://abcdefghijklmnopqrstuvwxyz0123456.lambda-url.us-west-2.on.aws/users/42?tag=a&tag=b');
  });

  it('puts cookies in `cookies` and only there', async () => {
    const app = {
      fetch: () => {
        const headers = new Headers({ 'x-multi': 'a' });
        headers.append('x-multi', 'b');
        headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
        headers.append('set-cookie', 'b=2');
        return new Response('ok', { headers });
      },
    };
    const result = (await handler(app)(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(result.cookies).toEqual(['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2']);
    expect(result.headers).toEqual({ 'content-type': 'text/plain;charset=UTF-8', 'x-multi': 'a, b' });
  });
});

describe('ALB', () => {
  it('does not encode query values twice', async () => {
    const request = await seen('alb-single');
    expect(request.url).toBe('http://lambda-alb-123578498.us-east-1.elb.amazonaws.com/search?q=caf%C3%A9%20au%20lait&next=%3Fpage%3D2');
    expect(new URL(request.url).searchParams.get('q')).toBe('café au lait');
    expect(request.clientAddress).toBe('72.12.164.125');
  });

  it('reads multi-value headers and queries', async () => {
    const request = await seen('alb-multi');
    expect(request.url).toBe('https://lambda-alb-123578498.us-east-1.elb.amazonaws.com/search?q=caf%C3%A9&tag=a&tag=b%20c');
    expect(request.headers.cookie).toBe('a=1; b=2');
    expect(request.headers['x-multi']).toBe('one, two');
  });

  it('falls back to the event\'s domain, then to localhost, when the Host header is malformed', async () => {
    const event = fixture<{ headers: Record<string, string> }>('function-url');
    event.headers.host = '<url-id>.lambda-url.us-west-2.on.aws';
    const result = (await serve(event, lambdaContext())) as HttpApiResult;
    expect(JSON.parse(result.body).url).toMatch(/^https:\/\/abcdefghijklmnopqrstuvwxyz0123456\.lambda-url\.us-west-2\.on\.aws\//);
  });

  it.each([['example.com:99999'], ['exa%mple.com']])('falls back from the invalid Host %j rather than fail', async (host) => {
    const event = fixture<{ headers: Record<string, string> }>('alb-single');
    event.headers.host = host;
    const result = (await serve(event, lambdaContext())) as AlbResult;
    expect(result.statusCode).toBe(200);
    expect(new URL(JSON.parse(result.body).url).host).toBe('localhost');
  });

  it('gives a health check, which has no Host, a sane URL', async () => {
    const request = await seen('alb-health-check');
    expect(request.url).toBe('http://localhost/');
  });

  const cookieApp = {
    fetch: () => {
      const headers = new Headers();
      for (let i = 0; i < 3; i++) headers.append('set-cookie', `c${i}=${i}; Expires=Wed, 21 Oct 2037 07:28:00 GMT`);
      return new Response('ok', { headers });
    },
  };

  it('keeps every cookie in single-value mode, each under its own spelling', async () => {
    const result = (await handler(cookieApp)(fixture('alb-single'), lambdaContext())) as AlbResult;
    expect(result.statusDescription).toBe('200 OK');
    const cookies = Object.entries(result.headers!).filter(([name]) => name.toLowerCase() === 'set-cookie');
    expect(new Set(cookies.map(([name]) => name)).size).toBe(3);
    expect(cookies.map(([, value]) => value).sort()).toEqual([0, 1, 2].map((i) => `c${i}=${i}; Expires=Wed, 21 Oct 2037 07:28:00 GMT`));
  });

  it('answers in multi-value mode when the event came in it', async () => {
    const result = (await handler(cookieApp)(fixture('alb-multi'), lambdaContext())) as AlbResult;
    expect(result.headers).toBeUndefined();
    expect(result.multiValueHeaders!['set-cookie']).toHaveLength(3);
  });
});

describe('VPC Lattice', () => {
  it('reads a v1 event, its query in raw_path', async () => {
    const request = await seen('lattice-v1');
    expect(request.method).toBe('PUT');
    expect(request.url).toBe('https://orders-0123456789abcdef.7d67968.vpc-lattice-svcs.us-east-1.on.aws/orders/7?expand=items');
    expect(request.body).toBe('{"qty":2}');
    expect(request.clientAddress).toBe('10.0.1.25');
  });

  it('reads a v2 event with header values as lists, and as strings', async () => {
    const request = await seen('lattice-v2');
    expect(request.url).toBe('https://orders-0123456789abcdef.7d67968.vpc-lattice-svcs.us-east-1.on.aws/orders/7?expand=items&note=a%20b');
    expect(request.headers['x-multi']).toBe('one, two');
    const strings = fixture<{ headers: Record<string, string[]> }>('lattice-v2');
    const flat = { ...strings, headers: Object.fromEntries(Object.entries(strings.headers).map(([k, v]) => [k, v.join(',')])) };
    const result = (await serve(flat, lambdaContext())) as AlbResult;
    expect(JSON.parse(result.body).headers['x-multi']).toBe('one,two');
  });
});

describe('bodies', () => {
  it('sends binary back as base64 and text as text', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const app = {
      fetch: (request: Request) =>
        new URL(request.url).pathname.endsWith('/42')
          ? new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })
          : new Response('héllo', { headers: { 'content-type': 'text/plain; charset=utf-8' } }),
    };
    const binary = (await handler(app)(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(binary.isBase64Encoded).toBe(true);
    expect([...Buffer.from(binary.body, 'base64')]).toEqual([...bytes]);
    const text = (await handler(app)(fixture('alb-single'), lambdaContext())) as AlbResult;
    expect(text).toMatchObject({ body: 'héllo', isBase64Encoded: false });
  });

  it('sends a compressed text body as base64', async () => {
    const app = { fetch: () => new Response(new Uint8Array([0x1f, 0x8b, 8, 0]), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }) };
    const result = (await handler(app)(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(result.isBase64Encoded).toBe(true);
    expect([...Buffer.from(result.body, 'base64')]).toEqual([0x1f, 0x8b, 8, 0]);
  });

  it('lets the binary policy be replaced', async () => {
    const app = { fetch: () => new Response('plain', { headers: { 'content-type': 'application/x-custom' } }) };
    const result = (await handler(app, { isBinary: () => false })(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(result).toMatchObject({ body: 'plain', isBase64Encoded: false });
  });

  it('serves a GET that carries a body without it, and without throwing', async () => {
    const event = { ...fixture('function-url'), body: 'stray', isBase64Encoded: false };
    const result = (await serve(event, lambdaContext())) as HttpApiResult;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).body).toBeNull();
  });

  it('answers HEAD with no body and the Content-Length of the GET', async () => {
    const event = fixture<{ requestContext: { http: { method: string } } }>('function-url');
    event.requestContext.http.method = 'HEAD';
    const result = (await handler({ fetch: () => new Response('body') })(event, lambdaContext())) as HttpApiResult;
    expect(result.body).toBe('');
    expect(result.headers!['content-length']).toBe('4');
  });
});

describe('headers', () => {
  it('never throws on non-ASCII or control characters in header values', async () => {
    const event = fixture<{ headers: Record<string, string> }>('function-url');
    event.headers['x-name'] = 'Zoë 中文 😀';
    event.headers['x-broken'] = 'a\r\nb';
    const result = (await serve(event, lambdaContext())) as HttpApiResult;
    expect(result.statusCode).toBe(200);
    const headers = JSON.parse(result.body).headers;
    expect(Buffer.from(headers['x-name'], 'latin1').toString('utf8')).toBe('Zoë 中文 😀');
    expect(headers['x-broken']).toBe('ab');
  });
});

describe('names that are also Object.prototype keys', () => {
  it('keeps __proto__ and constructor as header names and query keys, both ways', async () => {
    const event = JSON.parse(
      '{"version":"2.0","rawPath":"/","rawQueryString":"__proto__=1&constructor=2","headers":{"host":"x.example","__proto__":"a","constructor":"b"},"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false}',
    ) as unknown;
    const app = {
      fetch: (request: Request) =>
        new Response(JSON.stringify([...new URL(request.url).searchParams, request.headers.get('__proto__'), request.headers.get('constructor')]), {
          headers: new Headers([
            ['__proto__', 'c'],
            ['constructor', 'd'],
          ]),
        }),
    };
    const result = (await handler(app)(event, lambdaContext())) as HttpApiResult;
    expect(JSON.parse(result.body)).toEqual([['__proto__', '1'], ['constructor', '2'], 'a', 'b']);
    expect(Object.hasOwn(result.headers!, '__proto__')).toBe(true);
    expect(result.headers!.constructor).toBe('d');
  });
});

describe('context', () => {
  it('hands the App the event, its requestContext and the Lambda context, per invocation', async () => {
    const app = {
      async fetch(_request: Request, _env: unknown, ctx: Parameters<typeof lambdaInvocation>[0]) {
        const invocation = lambdaInvocation(ctx)!;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        return Response.json({
          id: invocation.context.awsRequestId,
          source: invocation.source,
          sub: (invocation.requestContext?.authorizer as { claims?: { sub: string } } | undefined)?.claims?.sub,
        });
      },
    };
    const serveApp = handler(app);
    const contexts = Array.from({ length: 10 }, () => lambdaContext());
    const results = await Promise.all(contexts.map((context) => serveApp(fixture('rest'), context)));
    results.forEach((result, i) => {
      expect(JSON.parse((result as RestApiResult).body)).toEqual({ id: contexts[i]!.awsRequestId, source: 'rest', sub: 'user-42' });
    });
  });

  it('aborts request.signal before the deadline, early enough for the App to answer', async () => {
    const app = {
      fetch: (request: Request, _env: unknown, ctx: Parameters<typeof lambdaInvocation>[0]) =>
        new Promise<Response>((resolve) => {
          request.signal.addEventListener('abort', () =>
            resolve(
              Response.json({
                reason: (request.signal.reason as Error).name,
                remaining: lambdaInvocation(ctx)!.context.getRemainingTimeInMillis(),
              }),
            ),
          );
        }),
    };
    const result = (await handler(app, { deadlineMargin: 200 })(fixture('function-url'), lambdaContext(400))) as HttpApiResult;
    // The App's own answer arrived (not the handler's 504): the signal came in time.
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { reason: string; remaining: number };
    expect(body.reason).toBe('TimeoutError');
    expect(body.remaining).toBeGreaterThan(0);
  });

  it('answers 504 and cancels the response stream when the App does not finish in time', async () => {
    let cancels = 0;
    const app = {
      fetch: (request: Request) => {
        if (new URL(request.url).pathname === '/users/42') return new Promise<Response>(() => {}); // never answers
        return new Response(
          new ReadableStream({
            pull: () => new Promise((resolve) => setTimeout(resolve, 10)).then(() => undefined),
            cancel: () => void cancels++,
          }),
        );
      },
    };
    const slow = handler(app, { deadlineMargin: 100, onError: () => {} });
    const hung = (await slow(fixture('function-url'), lambdaContext(300))) as HttpApiResult;
    expect(hung.statusCode).toBe(504);
    const endless = (await slow(fixture('alb-single'), lambdaContext(300))) as AlbResult;
    expect(endless.statusCode).toBe(504);
    expect(cancels).toBe(1);
  });

  it('answers errors in multi-value form to a multi-value ALB', async () => {
    const failing = handler({ fetch: () => Promise.reject(new Error('x')) }, { onError: () => {} });
    const result = (await failing(fixture('alb-multi'), lambdaContext())) as AlbResult;
    expect(result).toMatchObject({ statusCode: 500, statusDescription: '500 Internal Server Error' });
    expect(result.headers).toBeUndefined();
    expect(result.multiValueHeaders!['content-type']).toEqual(['text/plain; charset=utf-8']);
  });

  it('cancels the body of an answer that comes after the deadline', async () => {
    let cancelled = false;
    const app = {
      fetch: () =>
        new Promise<Response>((resolve) =>
          setTimeout(() => resolve(new Response(new ReadableStream({ cancel: () => void (cancelled = true) }))), 250),
        ),
    };
    const result = (await handler(app, { deadlineMargin: 100, onError: () => {} })(fixture('function-url'), lambdaContext(200))) as HttpApiResult;
    expect(result.statusCode).toBe(504);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(cancelled).toBe(true);
  });

  it('answers 502 rather than return a body larger than Lambda takes', async () => {
    const app = { fetch: () => new Response(new Uint8Array(2048)) };
    const result = (await handler(app, { maxResponseSize: 1024, onError: () => {} })(fixture('http-api'), lambdaContext())) as HttpApiResult;
    expect(result.statusCode).toBe(502);
  });

  it('reports a waitUntil promise that fails while the App works, without an unhandled rejection', async () => {
    const errors: unknown[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const app = {
        fetch: async (_r: Request, _e: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) => {
          ctx.waitUntil(Promise.reject(new Error('analytics failed')));
          await new Promise((resolve) => setTimeout(resolve, 20));
          return new Response('ok');
        },
      };
      const result = (await handler(app, { onError: (e) => void errors.push(e) })(fixture('function-url'), lambdaContext())) as HttpApiResult;
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(result.statusCode).toBe(200);
      expect(errors.map((e) => (e as Error).message)).toEqual(['analytics failed']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('waits for waitUntil work no later than the deadline', async () => {
    const errors: unknown[] = [];
    const app = {
      fetch: (_r: Request, _e: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) => {
        ctx.waitUntil(new Promise(() => {})); // never settles
        return new Response('ready');
      },
    };
    const result = (await handler(app, { deadlineMargin: 100, onError: (e) => void errors.push(e) })(
      fixture('function-url'),
      lambdaContext(300),
    )) as HttpApiResult;
    expect(result).toMatchObject({ statusCode: 200, body: 'ready' });
    expect((errors[0] as Error).name).toBe('DeadlineError');
  });

  it('answers HEAD on a body larger than a buffered response may be, with its length', async () => {
    const event = fixture<{ requestContext: { http: { method: string } } }>('function-url');
    event.requestContext.http.method = 'HEAD';
    const app = { fetch: () => new Response(new Uint8Array(7 * 1024 * 1024)) };
    const result = (await handler(app)(event, lambdaContext())) as HttpApiResult;
    expect(result.statusCode).toBe(200);
    expect(result.headers!['content-length']).toBe(String(7 * 1024 * 1024));
  });

  it('finishes waitUntil work before the invocation returns', async () => {
    const done = vi.fn<() => void>();
    const app = {
      fetch: (_r: Request, _e: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) => {
        ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 30)).then(done));
        return new Response('now');
      },
    };
    await handler(app)(fixture('function-url'), lambdaContext());
    expect(done).toHaveBeenCalledTimes(1);
  });
});

describe('errors', () => {
  it('answers 500 without details when the App throws, in the shape of the source', async () => {
    const onError = vi.fn<(error: unknown) => void>();
    const failing = handler({ fetch: () => Promise.reject(new Error('secret')) }, { onError });
    for (const name of ['rest', 'http-api', 'alb-single', 'lattice-v2']) {
      const result = (await failing(fixture(name), lambdaContext())) as { statusCode: number; body: string };
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain('secret');
    }
    expect(onError).toHaveBeenCalledTimes(4);
  });

  it.each([[null], [undefined], ['text'], [{}], [{ httpMethod: 'GET' }], [{ requestContext: {} }], [[1, 2]]])(
    'answers an event it cannot serve (%j) with a clear error, not a crash',
    async (event) => {
      const result = (await handler(echoApp, { onError: () => {} })(event, lambdaContext())) as HttpApiResult;
      expect(result.statusCode).toBe(400);
      expect(result.body).toMatch(/not an HTTP event/);
    },
  );

  it('answers 400 to an event whose request cannot be built', async () => {
    const event = { ...fixture('function-url') } as Record<string, unknown>;
    event.requestContext = { ...(event.requestContext as object), http: { method: 'BAD METHOD' } };
    const result = (await handler(echoApp, { onError: () => {} })(event, lambdaContext())) as HttpApiResult;
    expect(result.statusCode).toBe(400);
  });

  it('takes at most two parameters, as the Node.js 24 runtime requires', () => {
    expect(handler(echoApp).length).toBeLessThanOrEqual(2);
  });
});
