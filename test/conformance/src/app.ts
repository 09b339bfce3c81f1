import type { App, Context } from '@gatehouse/core';
import { eventsOf, record } from './events.ts';

/**
 * The App every runtime serves for the conformance suite. It uses nothing
 * but web standards and the Context, so it runs unchanged wherever an App
 * can run.
 */
export const conformanceApp: App = {
  fetch(request, _env, ctx) {
    const url = new URL(request.url);
    const route = routes[url.pathname.split('/')[1] ?? ''];
    return route === undefined ? new Response('no such route', { status: 404 }) : route(request, url, ctx);
  },
};

type Route = (request: Request, url: URL, ctx: Context) => Response | Promise<Response>;

const SECRET = 'secret-detail-that-must-not-leak';

const routes: Record<string, Route> = {
  /** Everything the App saw of the request, as JSON. */
  async echo(request, url, ctx) {
    const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    return Response.json({
      method: request.method,
      url: request.url,
      pathname: url.pathname,
      query: [...url.searchParams],
      headers: [...request.headers],
      body,
      runtime: ctx.runtime,
      clientAddress: ctx.clientAddress ?? null,
    });
  },

  /** The request body back, byte for byte, with its content type. */
  async bytes(request) {
    const body = await request.arrayBuffer();
    return new Response(body, {
      headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' },
    });
  },

  /** A body of any kind the Response constructor takes. */
  'body-kind'(_request, url) {
    const kind = url.searchParams.get('kind');
    const text = 'héllo wörld';
    switch (kind) {
      case 'string':
        return new Response(text);
      case 'bytes':
        return new Response(new TextEncoder().encode(text));
      case 'stream':
        return new Response(new Blob([text]).stream());
      case 'blob':
        return new Response(new Blob([text], { type: 'text/x-blob' }));
      case 'form': {
        const form = new FormData();
        form.append('greeting', text);
        return new Response(form);
      }
      default:
        return new Response('unknown kind', { status: 400 });
    }
  },

  /** Deterministic bytes, `n` of them, produced 64 KiB at a time as the client reads. */
  download(_request, url) {
    const total = Number(url.searchParams.get('n'));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const size = Math.min(64 * 1024, total - sent);
        if (size <= 0) {
          controller.close();
          return;
        }
        // Every chunk starts at a multiple of the pattern's period, so each is a copy of the first.
        controller.enqueue(DOWNLOAD_CHUNK.slice(0, size));
        sent += size;
      },
    });
    return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
  },

  /** Reads the request body as a stream and answers with its length and checksum. */
  async upload(request) {
    let bytes = 0;
    let sum = 0;
    const reader = request.body!.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      for (const byte of chunk.value) sum = (sum * 31 + byte) >>> 0;
      bytes += chunk.value.byteLength;
    }
    return Response.json({ bytes, checksum: sum });
  },

  /**
   * Chunks that go out only when the client has acknowledged the previous
   * one at the rendezvous `rv`: proves streaming without timing. Without
   * `rv` the chunks go without waiting (for runtimes that buffer responses).
   */
  lockstep(_request, url) {
    const id = url.searchParams.get('id')!;
    const count = Number(url.searchParams.get('chunks'));
    const rv = url.searchParams.get('rv');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === count) {
          controller.close();
          return;
        }
        if (sent > 0 && rv !== null) await fetch(`${rv}/wait?id=${id}&n=${sent}`);
        controller.enqueue(new TextEncoder().encode(`chunk ${sent};`));
        sent++;
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/plain' } });
  },

  /**
   * Acknowledges each request chunk at the rendezvous `rv` as it arrives,
   * so the client sends the next only once the App has the previous one.
   */
  async 'lockstep-upload'(request, url) {
    const id = url.searchParams.get('id')!;
    const rv = url.searchParams.get('rv');
    const reader = request.body!.getReader();
    const seen: string[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      seen.push(new TextDecoder().decode(chunk.value));
      if (rv !== null) await fetch(`${rv}/ack?id=${id}&n=${seen.length}`);
    }
    return Response.json(seen);
  },

  /** Tell the App an event happened. */
  event(_request, url) {
    record(url.searchParams.get('id')!, url.searchParams.get('name') ?? 'event');
    return new Response(null, { status: 204 });
  },

  /** What was recorded for an id. */
  events(_request, url) {
    return Response.json(eventsOf(url.searchParams.get('id')!));
  },

  status(_request, url) {
    const status = Number(url.searchParams.get('code'));
    const headers = { etag: '"v1"', 'x-status': String(status) };
    return status === 204 || status === 304
      ? new Response(null, { status, headers })
      : new Response(`status ${status}`, { status, headers });
  },

  /** A fixed body, for HEAD against GET. */
  text() {
    return new Response('hello, world', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },

  redirect(_request, url) {
    const status = Number(url.searchParams.get('status') ?? 302);
    // `.href`: Workers' types take the URL only as a string.
    return Response.redirect(new URL(url.searchParams.get('to') ?? '/echo', url).href, status as 301 | 302 | 303 | 307 | 308);
  },

  /** Several values of one header, several cookies, and header names in mixed case. */
  'response-headers'() {
    const headers = new Headers({ 'X-Mixed-Case': 'Value-Kept' });
    headers.append('x-multi', 'one');
    headers.append('x-multi', 'two');
    headers.append('set-cookie', 'session=abc; Path=/; HttpOnly');
    headers.append('set-cookie', 'theme=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/');
    headers.append('set-cookie', 'lang=en; Max-Age=3600');
    return new Response('ok', { headers });
  },

  throw() {
    throw new Error(SECRET);
  },

  reject() {
    return Promise.reject(new Error(SECRET));
  },

  /** A response stream that never ends, for clients that leave mid-response. */
  endless(request, url) {
    const id = url.searchParams.get('id')!;
    request.signal.addEventListener('abort', () => record(id, 'signal'));
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue(new Uint8Array(1024).fill(120));
      },
      cancel() {
        record(id, 'cancel');
      },
    });
    return new Response(body);
  },

  /** Reads the body to the end, recording how that went and whether the signal fired. */
  async 'read-body'(request, url) {
    const id = url.searchParams.get('id')!;
    request.signal.addEventListener('abort', () => record(id, 'signal'));
    try {
      const body = await request.text();
      record(id, `body:${body.length}`);
      return new Response(`read ${body.length}`);
    } catch (error) {
      record(id, `body-error:${(error as Error).name}`);
      throw error;
    }
  },

  /** A normal response that watches its signal: a finished exchange must never abort it. */
  'watch-signal'(request, url) {
    const id = url.searchParams.get('id')!;
    request.signal.addEventListener('abort', () => record(id, 'signal'));
    return new Response('done');
  },

  'wait-until'(_request, url, ctx) {
    const id = url.searchParams.get('id')!;
    ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 50)).then(() => record(id, 'waited')));
    return Response.json(eventsOf(id));
  },

  /** The Request is a real one: instanceof, copies and clones work on it. */
  async request(request) {
    const clone = request.clone();
    const copy = new Request(request, { headers: { 'x-copied': 'yes' } });
    return Response.json({
      isRequest: request instanceof Request,
      copyUrl: copy.url,
      copyMethod: copy.method,
      copyHeader: copy.headers.get('x-copied'),
      copyBody: await copy.text(),
      cloneBody: await clone.text(),
    });
  },
};

/** Byte `i` of every download, wherever the chunks fall; it repeats every 256 bytes. */
export function patternByte(i: number): number {
  return (i * 7 + 3) & 255;
}

/** Bytes `offset` to `offset + length` of every download. */
export function patternBytes(offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = patternByte(offset + i);
  return bytes;
}

const DOWNLOAD_CHUNK = patternBytes(0, 64 * 1024);

export { SECRET };
