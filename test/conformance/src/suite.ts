import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternByte, patternBytes, SECRET } from './app.ts';
import { exchange, hostOf, openSocket } from './raw-http.ts';
import { type Rendezvous, startRendezvous } from './rendezvous.ts';
import type { RunningApp, Runtime } from './runtime.ts';

const MiB = 1024 * 1024;
/**
 * The body the memory check sends each way. A runtime that streams needs
 * only the garbage its chunks leave until the collector runs: measured in
 * fresh instances, Node's peak grows by 50–65 MiB whatever the size, and
 * workerd's by 145–165 MiB for 150, 300 and 400 MiB alike. One that holds
 * the body needs all of it at once: hence a body well past workerd's plateau,
 * and a bound of half of it.
 */
const MEMORY_BODY = 400 * MiB;
let ids = 0;
const newId = (): string => `t${process.pid}-${Date.now()}-${ids++}`;

/**
 * The behaviours every runtime must show, written once. Call it from a
 * test file with the runtime to check.
 *
 * Where a platform cannot do something (a 6 MB payload limit, buffered
 * bodies), the suite checks the behaviour it promises instead, chosen from
 * `runtime.limits`: the one place where tests branch (hence the lint
 * override for this file). Every branch asserts.
 */
export function describeConformance(runtime: Runtime): void {
  const limits = runtime.limits ?? {};
  describe(`conformance: ${runtime.name}`, () => {
    let app: RunningApp;
    let base: string;
    const url = (path: string): string => new URL(path, base).href;
    const echo = async (path: string, init?: RequestInit): Promise<EchoResult> =>
      (await (await fetch(url(path), init)).json()) as EchoResult;
    const eventsOf = async (id: string): Promise<string[]> =>
      (await (await fetch(url(`/events?id=${id}`))).json()) as string[];
    const waitForEvents = async (id: string, count: number): Promise<string[]> => {
      // Bounded: the test's own timeout ends it if the runtime never reports.
      for (;;) {
        const events = await eventsOf(id);
        if (events.length >= count) return events;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    let rendezvous: Rendezvous;
    beforeAll(async () => {
      rendezvous = await startRendezvous();
      app = await runtime.start();
      base = app.url;
    });
    afterAll(async () => {
      await app?.stop();
      await rendezvous?.close();
    });

    describe('methods', () => {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'QUERY']) {
        it(`passes ${method} through`, async () => {
          const body = method === 'GET' ? undefined : `body of ${method}`;
          const seen = await echo('/echo', { method, body });
          expect(seen.method).toBe(method);
          expect(seen.body).toBe(body ?? '');
          expect(seen.runtime).toBe(runtime.runtimeName);
        });
      }

      it('answers HEAD with the headers of GET and no body', async () => {
        const get = await fetch(url('/text'));
        const head = await fetch(url('/text'), { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
        expect(head.headers.get('content-length')).toBe(String(new TextEncoder().encode(await get.text()).length));
        expect(head.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(await head.text()).toBe('');
      });

      it('sends no body bytes for HEAD: the next response on the connection is intact', async () => {
        const host = hostOf(base);
        const raw = await exchange(
          base,
          `HEAD /text HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /text HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        const [headHead, rest] = splitHead(raw);
        expect(headHead).toMatch(/^HTTP\/1\.1 200/);
        expect(headHead.toLowerCase()).toContain('content-length: 12');
        expect(rest).toMatch(/^HTTP\/1\.1 200/);
        expect(rest.endsWith('hello, world')).toBe(true);
      });
    });

    describe('URLs', () => {
      it('keeps encoded, reserved and unicode path segments as sent', async () => {
        const path = "/echo/a%2Fb/c%20d/caf%C3%A9/%E2%9C%93;p=1,2/!$&'()*+=@:/x%25y";
        const seen = await echo(path);
        expect(seen.pathname).toBe(path);
      });

      it('keeps repeated query keys, empty values and encoded delimiters', async () => {
        const seen = await echo('/echo?a=1&a=2&b=&c=%26%3D%2B&d=caf%C3%A9&a=3');
        const sent: [string, string][] = [
          ['a', '1'],
          ['a', '2'],
          ['b', ''],
          ['c', '&=+'],
          ['d', 'café'],
          ['a', '3'],
        ];
        if (limits.lastValueOnly) {
          // The platform keeps one value a key: it must be the last one sent.
          const last: [string, string][] = [['a', '3'], ['b', ''], ['c', '&=+'], ['d', 'café']];
          expect([...seen.query].sort(byKey)).toEqual(last);
        } else if (limits.groupsQueryKeys) {
          expect([...seen.query].sort(byKey)).toEqual([...sent].sort(byKey));
        } else {
          expect(seen.query).toEqual(sent);
          expect(new URL(seen.url).search).toBe('?a=1&a=2&b=&c=%26%3D%2B&d=caf%C3%A9&a=3');
        }
      });

      it('reports the host the client asked for', async () => {
        const seen = await echo('/echo');
        expect(new URL(seen.url).host).toBe(new URL(base).host);
      });
    });

    describe('headers', () => {
      it('delivers request headers whatever their case, repeated ones joined', async () => {
        const host = hostOf(base);
        const raw = await exchange(
          base,
          `GET /echo HTTP/1.1\r\nHost: ${host}\r\nX-Mixed-Case: Value\r\nx-multi: one\r\nX-Multi: two\r\nConnection: close\r\n\r\n`,
        );
        const seen = JSON.parse(bodyOf(raw)) as EchoResult;
        const headers = new Map(seen.headers);
        expect(headers.get('x-mixed-case')).toBe('Value');
        // "one, two" and "one,two" are the same list (RFC 9110 §5.3).
        const values = headers.get('x-multi')?.split(/\s*,\s*/);
        expect(values).toEqual(limits.lastValueOnly ? ['two'] : ['one', 'two']);
      });

      it('sends response headers with several values, and each Set-Cookie apart', async () => {
        const response = await fetch(url('/response-headers'));
        expect(response.headers.get('x-mixed-case')).toBe('Value-Kept');
        expect(response.headers.get('x-multi')).toBe('one, two');
        expect(response.headers.getSetCookie()).toEqual([
          'session=abc; Path=/; HttpOnly',
          'theme=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/',
          'lang=en; Max-Age=3600',
        ]);
      });

      it('delivers a header sent as UTF-8 bytes as those bytes, one character each', async () => {
        const host = hostOf(base);
        const raw = await exchange(
          base,
          Buffer.concat([
            Buffer.from(`GET /echo HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-Name: `),
            Buffer.from('Zoë ✓', 'utf8'),
            Buffer.from('\r\n\r\n'),
          ]),
        );
        const seen = JSON.parse(bodyOf(raw)) as EchoResult;
        const value = new Map(seen.headers).get('x-name')!;
        if (limits.utf8Headers) {
          expect(value).toBe('Zoë ✓');
        } else {
          // As the Fetch standard holds them: a byte string. Decoding is the App's choice.
          expect(Buffer.from(value, 'latin1').toString('utf8')).toBe('Zoë ✓');
        }
      });

      it('delivers the Cookie header', async () => {
        const seen = await echo('/echo', { headers: { cookie: 'a=1; b=two; c="q"' } });
        expect(new Map(seen.headers).get('cookie')).toBe('a=1; b=two; c="q"');
      });
    });

    describe('bodies', () => {
      it('carries every byte value both ways, exactly', async () => {
        const sent = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), ...randomBytes(64 * 1024)]);
        const response = await fetch(url('/bytes'), {
          method: 'POST',
          body: sent,
          headers: { 'content-type': 'application/x-test' },
        });
        expect(response.headers.get('content-type')).toBe('application/x-test');
        expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(sent))).toBe(true);
      });

      it('keeps UTF-8 text intact', async () => {
        const text = 'héllo wörld ✓ 😀 中文';
        const seen = await echo('/echo', { method: 'POST', body: text });
        expect(seen.body).toBe(text);
      });

      for (const kind of ['string', 'bytes', 'stream', 'blob']) {
        it(`sends a body made from a ${kind}`, async () => {
          const response = await fetch(url(`/body-kind?kind=${kind}`));
          expect(await response.text()).toBe('héllo wörld');
        });
      }

      it('sends a body made from FormData, with its boundary', async () => {
        const response = await fetch(url('/body-kind?kind=form'));
        expect(response.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
        const form = await response.formData();
        expect(form.get('greeting')).toBe('héllo wörld');
      });

      for (const size of [1 * MiB, 50 * MiB]) {
        const label = `${size / MiB} MiB`;

        it(`streams a ${label} upload, or refuses it with 413 past the platform's limit`, async () => {
          const response = await fetch(url('/upload'), {
            method: 'POST',
            body: patternStream(size),
            duplex: 'half',
          } as RequestInit);
          if (limits.requestBody !== undefined && size > limits.requestBody) {
            expect(response.status).toBe(413);
            return;
          }
          expect(await response.json()).toEqual({ bytes: size, checksum: checksumOf(size) });
        });

        it(`streams a ${label} download, or fails it with a 5xx past the platform's limit`, async () => {
          const response = await fetch(url(`/download?n=${size}`));
          if (limits.responseBody !== undefined && size > limits.responseBody) {
            expect(response.status).toBeGreaterThanOrEqual(500);
            return;
          }
          let received = 0;
          let sum = 0;
          for await (const chunk of response.body!) {
            const expected = patternBytes(received, chunk.byteLength);
            expect(Buffer.from(chunk).equals(Buffer.from(expected))).toBe(true);
            for (const byte of chunk) sum = (sum * 31 + byte) >>> 0;
            received += chunk.byteLength;
          }
          expect(received).toBe(size);
          expect(sum).toBe(checksumOf(size));
        });
      }

      // Only where bodies stream both ways: a runtime with payload limits
      // (Lambda's 6 MB) holds bodies whole by design, which other tests check.
      if (limits.requestBody === undefined && limits.responseBody === undefined && !limits.buffersRequest && !limits.buffersResponse) {
        it(`holds far less than the body in memory while ${MEMORY_BODY / MiB} MiB go each way`, { timeout: 180_000 }, async () => {
          // In an instance of its own: the 50 MiB tests above raise the
          // high-water mark of the shared one, which could hide a runtime
          // that holds one copy of the body.
          const fresh = await runtime.start();
          try {
            expect(fresh.peakMemory, `${runtime.name} streams bodies, so it must report its memory`).toBeDefined();
            const roundTrip = async (size: number): Promise<void> => {
              const upload = await fetch(new URL('/upload', fresh.url), { method: 'POST', body: patternStream(size), duplex: 'half' } as RequestInit);
              expect(await upload.json()).toEqual({ bytes: size, checksum: checksumOf(size) });
              const download = await fetch(new URL(`/download?n=${size}`, fresh.url));
              let received = 0;
              for await (const chunk of download.body!) received += chunk.byteLength;
              expect(received).toBe(size);
            };
            await roundTrip(MiB);
            const before = await fresh.peakMemory!();
            await roundTrip(MEMORY_BODY);
            const after = await fresh.peakMemory!();
            expect(after - before, `peak resident memory grew ${((after - before) / MiB).toFixed(1)} MiB`).toBeLessThan(MEMORY_BODY / 2);
          } finally {
            await fresh.stop();
          }
        });
      }

      if (limits.buffersResponse) {
        it('delivers a streamed response whole', async () => {
          const response = await fetch(url(`/lockstep?id=${newId()}&chunks=3`));
          expect(await response.text()).toBe('chunk 0;chunk 1;chunk 2;');
        });
      } else {
        it('streams a response chunk by chunk, not at the end', async () => {
          const id = newId();
          const response = await fetch(url(`/lockstep?id=${id}&chunks=3&rv=${rendezvous.url}`));
          const reader = response.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          for (let i = 0; i < 3; i++) {
            // The App sends chunk i+1 only after we acknowledge chunk i: a runtime
            // that buffered the body would never deliver chunk 0 and the test would hang.
            while (!text.includes(`chunk ${i};`)) {
              const { value, done } = await reader.read();
              if (done) throw new Error(`stream ended early: ${text}`);
              text += decoder.decode(value, { stream: true });
            }
            rendezvous.ack(id, i + 1);
          }
          expect((await reader.read()).done).toBe(true);
          expect(text).toBe('chunk 0;chunk 1;chunk 2;');
        });
      }

      if (limits.buffersRequest) {
        it('delivers a streamed request body whole', async () => {
          const encoder = new TextEncoder();
          const parts = ['part0', 'part1', 'part2'];
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              for (const part of parts) controller.enqueue(encoder.encode(part));
              controller.close();
            },
          });
          const response = await fetch(url(`/lockstep-upload?id=${newId()}`), { method: 'POST', body, duplex: 'half' } as RequestInit);
          expect(((await response.json()) as string[]).join('')).toBe('part0part1part2');
        });
      } else {
        it('delivers a request body chunk by chunk, not at the end', async () => {
          const id = newId();
          const encoder = new TextEncoder();
          let sent = 0;
          const body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (sent === 3) {
                controller.close();
                return;
              }
              // Send the next chunk only once the App has seen the previous one.
              if (sent > 0) await rendezvous.waitFor(id, sent);
              controller.enqueue(encoder.encode(`part${sent}`));
              sent++;
            },
          });
          const response = await fetch(url(`/lockstep-upload?id=${id}&rv=${rendezvous.url}`), {
            method: 'POST',
            body,
            duplex: 'half',
          } as RequestInit);
          expect(await response.json()).toEqual(['part0', 'part1', 'part2']);
        });
      }
    });

    describe('statuses', () => {
      for (const status of [301, 302, 303, 307, 308]) {
        it(`redirects with ${status}`, async () => {
          const response = await fetch(url(`/redirect?status=${status}&to=/echo?from=redirect`), {
            redirect: 'manual',
          });
          expect(response.status).toBe(status);
          expect(response.headers.get('location')).toBe(url('/echo?from=redirect'));
        });
      }

      it('follows a redirect to the target', async () => {
        const seen = await echo('/redirect?to=/echo?followed=1');
        expect(seen.query).toEqual([['followed', '1']]);
      });

      for (const status of [204, 304]) {
        it(`sends ${status} with its headers and no body`, async () => {
          const host = hostOf(base);
          const raw = await exchange(
            base,
            `GET /status?code=${status} HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /text HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          );
          const [head, rest] = splitHead(raw);
          expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
          expect(head.toLowerCase()).toContain('etag: "v1"');
          expect(head.toLowerCase()).not.toContain('transfer-encoding');
          expect(rest).toMatch(/^HTTP\/1\.1 200/);
        });
      }

      for (const status of [201, 404, 418, 500, 503]) {
        it(`passes status ${status} through`, async () => {
          const response = await fetch(url(`/status?code=${status}`));
          expect(response.status).toBe(status);
          expect(await response.text()).toBe(`status ${status}`);
        });
      }
    });

    describe('errors', () => {
      for (const route of ['throw', 'reject']) {
        it(`answers 500 without details when the App ${route}s`, async () => {
          const response = await fetch(url(`/${route}`));
          expect(response.status).toBe(500);
          const text = await response.text();
          expect(text).not.toContain(SECRET);
          expect(text).not.toMatch(/at .*:\d+:\d+/);
          // And it keeps serving.
          expect((await fetch(url('/text'))).status).toBe(200);
        });
      }
    });

    describe('clients that leave', () => {
      if (limits.buffersResponse) {
        it('stops an endless response at the deadline: 5xx, the signal fired, the stream cancelled once', async () => {
          const id = newId();
          const response = await fetch(url(`/endless?id=${id}`));
          expect(response.status).toBeGreaterThanOrEqual(500);
          await waitForEvents(id, 2);
          await new Promise((resolve) => setTimeout(resolve, 100));
          const final = await eventsOf(id);
          expect(final.filter((e) => e === 'cancel')).toHaveLength(1);
          expect(final.filter((e) => e === 'signal')).toHaveLength(1);
        });
      } else {
        it('cancels the response stream once, and fires the signal, when the client leaves mid-response', async () => {
          const id = newId();
          const controller = new AbortController();
          const response = await fetch(url(`/endless?id=${id}`), { signal: controller.signal });
          const reader = response.body!.getReader();
          await reader.read();
          controller.abort();
          await reader.closed.catch(() => {});
          const events = await waitForEvents(id, 2);
          // Give a second cancel the chance to show up before counting.
          await new Promise((resolve) => setTimeout(resolve, 100));
          const final = await eventsOf(id);
          expect(final.filter((e) => e === 'cancel')).toHaveLength(1);
          expect(final.filter((e) => e === 'signal')).toHaveLength(1);
          expect(events.length).toBeGreaterThanOrEqual(2);
        });
      }

      /** Send the head and a tenth of a 100 kB body to /read-body, then leave. */
      const leaveMidBody = async (id: string): Promise<void> => {
        const socket = await openSocket(base);
        socket.write(
          `POST /read-body?id=${id} HTTP/1.1\r\nHost: ${hostOf(base)}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`,
        );
        // Leave once the App (if it was invoked) is waiting for the rest of the body.
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.destroy();
      };

      if (limits.buffersRequest) {
        it('never invokes the App for a request whose client left mid-body, and keeps serving', async () => {
          const id = newId();
          await leaveMidBody(id);
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(await eventsOf(id)).toEqual([]);
          expect((await fetch(url('/text'))).status).toBe(200);
        });
      } else if (limits.noMidRequestSignal) {
        it('fails the body read when the client leaves mid-request, without the signal, and keeps serving', async () => {
          const id = newId();
          await leaveMidBody(id);
          const events = await waitForEvents(id, 1);
          // Give a signal the chance to show up before counting.
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(events.some((e) => e.startsWith('body-error:'))).toBe(true);
          expect(await eventsOf(id)).not.toContain('signal');
          expect((await fetch(url('/text'))).status).toBe(200);
        });
      } else {
        it('fails the body read and fires the signal when the client leaves mid-request', async () => {
          const id = newId();
          await leaveMidBody(id);
          const events = await waitForEvents(id, 2);
          expect(events).toContain('signal');
          expect(events.some((e) => e.startsWith('body-error:'))).toBe(true);
          expect((await fetch(url('/text'))).status).toBe(200);
        });
      }

      it('never fires the signal of an exchange that ended normally', async () => {
        const id = newId();
        const response = await fetch(url(`/watch-signal?id=${id}`));
        expect(await response.text()).toBe('done');
        // Close the connection too: the end of a connection is not an abort.
        await fetch(url('/text'), { headers: { connection: 'close' } });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await eventsOf(id)).toEqual([]);
      });
    });

    describe('context', () => {
      it('runs waitUntil work after the response', async () => {
        const id = newId();
        const response = await fetch(url(`/wait-until?id=${id}`));
        expect(await response.json()).toEqual([]);
        expect(await waitForEvents(id, 1)).toEqual(['waited']);
      });

      if (limits.noClientAddress) {
        it('reports no client address rather than a made-up one', async () => {
          const seen = await echo('/echo');
          expect(seen.clientAddress).toBeNull();
        });
      } else {
        it('reports the client address', async () => {
          const seen = await echo('/echo');
          expect(seen.clientAddress).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
        });
      }

      it('hands the App a real Request: instanceof, copy and clone work', async () => {
        const response = await fetch(url('/request'), { method: 'POST', body: 'the body' });
        expect(await response.json()).toEqual({
          isRequest: true,
          copyUrl: url('/request'),
          copyMethod: 'POST',
          copyHeader: 'yes',
          copyBody: 'the body',
          cloneBody: 'the body',
        });
      });
    });
  });
}

const byKey = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

interface EchoResult {
  method: string;
  url: string;
  pathname: string;
  query: [string, string][];
  headers: [string, string][];
  body: string;
  runtime: string;
  clientAddress: string | null;
}

const UPLOAD_CHUNK = patternBytes(0, 256 * 1024);

function patternStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const size = Math.min(UPLOAD_CHUNK.byteLength, total - sent);
      if (size <= 0) {
        controller.close();
        return;
      }
      // Every chunk starts at a multiple of the pattern's period, so each is a copy of the first.
      controller.enqueue(UPLOAD_CHUNK.slice(0, size));
      sent += size;
    },
  });
}

/**
 * The App's checksum (`sum = sum * 31 + byte`, mod 2³²) of the first `size`
 * bytes of the pattern, in closed form. Each byte applies an affine map to
 * the sum, the pattern repeats every 256 bytes, so a period is one map and
 * `size` bytes are that map raised to a power (by squaring) and a rest.
 * Byte by byte it would take seconds for 400 MiB on a busy machine, and a
 * client busy for that long between two requests reuses a kept-alive
 * connection the server has meanwhile closed ("other side closed").
 */
function checksumOf(size: number): number {
  type Affine = readonly [multiplier: number, addend: number];
  // `second` after `first`: s → m2 (m1 s + a1) + a2.
  const then = ([m1, a1]: Affine, [m2, a2]: Affine): Affine => [Math.imul(m2, m1) >>> 0, (Math.imul(m2, a1) + a2) >>> 0];
  const bytes = (from: number, count: number): Affine => {
    let map: Affine = [1, 0];
    for (let i = from; i < from + count; i++) map = then(map, [31, patternByte(i)]);
    return map;
  };
  let period = bytes(0, 256);
  let whole: Affine = [1, 0];
  for (let periods = Math.floor(size / 256); periods > 0; periods = Math.floor(periods / 2)) {
    if (periods % 2 === 1) whole = then(whole, period);
    period = then(period, period);
  }
  return then(whole, bytes(0, size % 256))[1];
}

/** [head of the first response, everything after it (its body and any further responses)]. */
function splitHead(raw: string): [string, string] {
  const end = raw.indexOf('\r\n\r\n');
  return [raw.slice(0, end), raw.slice(end + 4)];
}

function bodyOf(raw: string): string {
  const [head, rest] = splitHead(raw);
  if (/transfer-encoding: chunked/i.test(head)) {
    let body = '';
    let at = 0;
    for (;;) {
      const line = rest.indexOf('\r\n', at);
      const size = parseInt(rest.slice(at, line), 16);
      if (!size) return Buffer.from(body, 'latin1').toString('utf8');
      body += rest.slice(line + 2, line + 2 + size);
      at = line + 2 + size + 2;
    }
  }
  return Buffer.from(rest, 'latin1').toString('utf8');
}
