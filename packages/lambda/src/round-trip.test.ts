// Property tests: whatever a client sends or an App answers survives the trip
// through each source's event and result shapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from './_test-helpers.ts';
import { buildEvent, type EmulatedSource } from './emulator/event-builders.ts';
import { handler } from './handler.ts';

const SOURCES: EmulatedSource[] = ['rest', 'http', 'function-url', 'alb', 'alb-multi', 'lattice-v1', 'lattice-v2'];

interface AnyResult {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** What a client would receive for `result`: header pairs (names lower-cased) and body bytes. */
function received(result: AnyResult): { headers: [string, string][]; body: Uint8Array } {
  const headers: [string, string][] = [];
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) for (const v of values) headers.push([name.toLowerCase(), v]);
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.push([name.toLowerCase(), value]);
  for (const cookie of result.cookies ?? []) headers.push(['set-cookie', cookie]);
  return { headers, body: new Uint8Array(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')) };
}

async function invoke(source: EmulatedSource, app: Parameters<typeof handler>[0], request: Partial<Parameters<typeof buildEvent>[1]>) {
  const event = buildEvent(source, {
    method: 'GET',
    target: '/',
    rawHeaders: ['Host', 'fn.example'],
    body: new Uint8Array(),
    sourceIp: '198.51.100.1',
    ...request,
  });
  return (await handler(app, { onError: (error) => { throw error; } })(event, lambdaContext())) as AnyResult;
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });

const byKey = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const ORDER_KEPT = new Set<EmulatedSource>(['http', 'function-url', 'lattice-v1']);

/** Pairs compared the way `source` can deliver them: in order where it keeps order, else grouped by key. */
const arrival = (source: EmulatedSource, pairs: [string, string][]): [string, string][] =>
  ORDER_KEPT.has(source) ? pairs : [...pairs].sort(byKey);

/** What each source delivers of the pairs sent: a single-value ALB keeps the last value of a key. */
const expectedQuery = (source: EmulatedSource, pairs: [string, string][]): [string, string][] =>
  source === 'alb' ? [...new Map(pairs)] : pairs;

// oxlint-disable-next-line no-control-regex -- controls are what it matches
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

describe.each(SOURCES)('%s', (source) => {
  it('keeps query keys and values, however encoded', async () => {
    const app = { fetch: (r: Request) => Response.json([...new URL(r.url).searchParams]) };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { maxLength: 6 }), async (pairs) => {
        const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const result = await invoke(source, app, { target: `/q${query === '' ? '' : `?${query}`}` });
        const seen = JSON.parse(result.body) as [string, string][];
        expect(arrival(source, seen)).toEqual(arrival(source, expectedQuery(source, pairs)));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps header values, and never throws on what Headers would refuse', async () => {
    const app = { fetch: (r: Request) => Response.json(r.headers.get('x-value')) };
    const value = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(value, fc.boolean(), async (raw, upper) => {
        // On the wire the value is UTF-8 bytes; Node's parser hands them over one character a byte.
        const wire = Buffer.from(raw, 'utf8').toString('latin1');
        const result = await invoke(source, app, { rawHeaders: ['Host', 'fn.example', upper ? 'X-VALUE' : 'x-value', wire] });
        expect(result.statusCode).toBe(200);
        const seen = JSON.parse(result.body) as string;
        // Values come back as UTF-8 bytes read as Latin-1 (as Node shows them),
        // control characters dropped.
        // HTTP trims spaces and tabs only (JavaScript's trim() takes all Unicode spaces).
        const normal = (value: string): string => value.replace(CONTROLS, '').replace(/^[ \t]+|[ \t]+$/g, '');
        expect(normal(Buffer.from(seen, 'latin1').toString('utf8'))).toBe(normal(raw));
      }),
      { numRuns: 60 },
    );
  });

  it('sends every Set-Cookie apart, Expires commas and all', async () => {
    const name = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,10}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9!#$%&'()*+\-./:<>?@[\]^_`{|}~]{0,12}$/);
    const expires = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true });
    const cookie = fc.tuple(name, value, fc.option(expires)).map(([n, v, e]) => `${n}=${v}${e ? `; Expires=${e.toUTCString()}` : ''}; Path=/`);
    await fc.assert(
      fc.asyncProperty(fc.array(cookie, { minLength: 1, maxLength: 6 }), async (cookies) => {
        const app = {
          fetch: () => {
            const headers = new Headers();
            for (const c of cookies) headers.append('set-cookie', c);
            return new Response('ok', { headers });
          },
        };
        const { headers } = received(await invoke(source, app, {}));
        expect(headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v).sort()).toEqual([...cookies].sort());
      }),
      { numRuns: 40 },
    );
  });

  it('carries bodies byte for byte both ways, text or binary, compressed or not', async () => {
    const type = fc.constantFrom('application/octet-stream', 'text/plain; charset=utf-8', 'application/json', 'image/png');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), type, fc.boolean(), async (bytes, contentType, gzip) => {
        const app = {
          fetch: async (r: Request) =>
            new Response(await r.arrayBuffer(), {
              headers: { 'content-type': contentType, ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
            }),
        };
        const result = await invoke(source, app, {
          method: 'POST',
          rawHeaders: ['Host', 'fn.example', 'Content-Type', contentType],
          body: bytes,
        });
        expect(result.statusCode).toBe(200);
        expect(Buffer.from(received(result).body).equals(Buffer.from(bytes))).toBe(true);
        // A compressed body is never passed as text (an empty one needs no encoding at all).
        expect(gzip && bytes.length > 0 && !result.isBase64Encoded).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
