import type { Http2ServerRequest } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { NodeBody } from './_body.ts';
import { abortSignal, disconnectReason, signalOf } from './_signal.ts';
import type { IncomingRequest } from './types.ts';

/**
 * The Request an App receives. It is a real `Request` (so `instanceof
 * Request`, `new Request(request)`, `fetch(request)` and `request.clone()`
 * work; only the disconnect signal stays with this one, see below), built
 * as cheaply as undici allows: the URL is one
 * string, the headers are Node's own object, and the body is a stream
 * that reads the socket as the App consumes it (at most 64 KiB ahead).
 * `text()`, `json()`, `arrayBuffer()` and `bytes()` read the whole body
 * straight from Node's stream, without a web stream in between.
 *
 * What it adds is lazy: its `signal`, which aborts when the client goes
 * away, is made only if the App asks for it. A genuine Request's own
 * signal can only be tied to a disconnect by handing the constructor a
 * signal to follow, and that costs more than the rest of the Request; so a
 * copy (`new Request(request)`, `clone()`, `fetch(request)`) does not
 * follow the disconnect unless given `signal: request.signal`.
 */
export class NodeRequest extends Request {
  // Declared, not initialised: their defaults live on the prototype, so a
  // request that never needs them does not pay for the own properties.
  /** @internal */ declare _controller: AbortController | undefined;
  /** @internal Why the request was aborted (a disconnect, a timeout); undefined while it runs. */
  declare _abortReason: DOMException | undefined;
  /** @internal Set once the body was read whole, past the web stream. */
  declare _bodyTaken: boolean;
  /** @internal */ _body: NodeBody | undefined;

  /** @internal */
  constructor(url: string, init: RequestInit | undefined, body: NodeBody | undefined) {
    super(url, init);
    this._body = body;
  }

  /** @internal */
  _takeBody(): Promise<Uint8Array> {
    const body = this._body!;
    if (this._bodyTaken || body.stream.locked || nativeBodyUsed.call(this)) {
      return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    }
    this._bodyTaken = true;
    body.stream.getReader();
    return body.readAll();
  }

  /** @internal Called when the client goes away before the response is complete. */
  _disconnect(): void {
    abortSignal(this, disconnectReason());
  }

  /** @internal Abort the signal, now or when it is first read; the first reason stays. */
  _abort(reason: DOMException): void {
    abortSignal(this, reason);
  }
}

NodeRequest.prototype._controller = undefined;
NodeRequest.prototype._abortReason = undefined;
NodeRequest.prototype._bodyTaken = false;

const native = Request.prototype;
const nativeBodyUsed = Object.getOwnPropertyDescriptor(native, 'bodyUsed')!.get! as (this: Request) => boolean;
const nativeBody = Object.getOwnPropertyDescriptor(native, 'body')!.get! as (this: Request) => ReadableStream | null;

/**
 * Whether the body can be read straight from the socket: there is one, and
 * the Request still holds our stream (clone() swaps it for a branch of a
 * tee, which only undici's own readers may read).
 */
function readsDirectly(request: NodeRequest): boolean {
  return request._body !== undefined && nativeBody.call(request) === request._body.stream;
}

// Request declares these as plain properties in its types, so they are
// installed here rather than written as class members.
Object.defineProperties(NodeRequest.prototype, {
  signal: {
    configurable: true,
    enumerable: true,
    get(this: NodeRequest): AbortSignal {
      return signalOf(this);
    },
  },
  bodyUsed: {
    configurable: true,
    enumerable: true,
    get(this: NodeRequest): boolean {
      return this._bodyTaken || nativeBodyUsed.call(this);
    },
  },
  // Reading a whole body is the common case (JSON APIs, forms): take it
  // straight from Node's stream. The web stream is locked first, so the
  // Request behaves as a used one afterwards: `bodyUsed` is true, and
  // `clone()` and `new Request(request)` refuse it, as the standard says.
  text: {
    configurable: true,
    writable: true,
    async value(this: NodeRequest): Promise<string> {
      if (!readsDirectly(this)) return native.text.call(this);
      return decoder.decode(await this._takeBody());
    },
  },
  json: {
    configurable: true,
    writable: true,
    async value(this: NodeRequest): Promise<unknown> {
      if (!readsDirectly(this)) return native.json.call(this);
      return JSON.parse(decoder.decode(await this._takeBody()));
    },
  },
  arrayBuffer: {
    configurable: true,
    writable: true,
    async value(this: NodeRequest): Promise<ArrayBuffer> {
      if (!readsDirectly(this)) return native.arrayBuffer.call(this);
      const bytes = await this._takeBody();
      if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
      return bytes.slice().buffer;
    },
  },
  bytes: {
    configurable: true,
    writable: true,
    async value(this: NodeRequest): Promise<Uint8Array> {
      if (!readsDirectly(this)) return native.bytes.call(this);
      const bytes = await this._takeBody();
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    },
  },
});

const decoder = new TextDecoder();

/** The request could not be turned into a Request: answer 400. */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

// A Host header is a host name or address and an optional port, nothing else
// (RFC 9110 §7.2); anything more could smuggle a path or credentials into the URL.
let lastValidHost = '';
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@\\[\]:]+)(?::\d{1,5})?$/;

/** Turn Node's request into a Request at `url` (from {@link requestUrl}). */
export function toRequest(req: IncomingRequest, url: string, maxBodySize: number): NodeRequest {
  const method = req.method ?? 'GET';
  const http2 = req.httpVersionMajor === 2;

  const headers = http2 ? withoutPseudoHeaders(req.headers) : (req.headers as Record<string, string>);
  try {
    let request: NodeRequest;
    if (method === 'GET') {
      // The most common request: a Request made from the URL alone costs less than converting an init dictionary.
      request = new NodeRequest(url, undefined, undefined);
    } else {
      const body =
        method !== 'HEAD' && requestHasBody(req, http2) ? new NodeBody(req, maxBodySize) : undefined;
      request = new NodeRequest(
        url,
        {
          method,
          body: body === undefined ? null : body.stream,
          // undici requires it for a streamed body.
          duplex: 'half',
        } as RequestInit,
        body,
      );
    }
    // Appended after, rather than given as `headers` in the init (which undici converts field by field
    // at more cost). Names are unique in Node's header object, and set() checks less than append().
    const target = request.headers;
    for (const name in headers) target.set(name, headers[name]!);
    return request;
  } catch (error) {
    throw new BadRequestError(error instanceof Error ? error.message : 'Malformed request');
  }
}

/**
 * The absolute URL of Node's request: `proto`, the Host (checked), the
 * target. Throws a {@link BadRequestError} for a Host or target that does
 * not make one.
 */
export function requestUrl(req: IncomingRequest, proto: string): string {
  const http2 = req.httpVersionMajor === 2;
  if (!http2) {
    // Node keeps the first Host and drops the rest; a proxy in front may
    // have routed by another (RFC 9112 §3.2: 400).
    if (hasSecondHost(req.rawHeaders)) throw new BadRequestError('More than one Host header');
    // An HTTP/1.0 recipient cannot trust chunked framing, and what follows
    // it could be read as a smuggled request (RFC 9112 §6.1: 400, close).
    if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) {
      throw new BadRequestError('Transfer-Encoding in an HTTP/1.0 request');
    }
  }
  let host = http2 ? (req as Http2ServerRequest).authority : req.headers.host;
  if (host === undefined || host === '') {
    host = localHost(req);
  } else if (host !== lastValidHost) {
    if (!VALID_HOST.test(host)) throw new BadRequestError('Invalid Host header');
    lastValidHost = host;
  }
  const target = req.url ?? '/';
  let url: string;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    url = `${proto}://${host}${target}`;
  } else if (/^https?:\/\//i.test(target)) {
    // absolute-form (RFC 9112 §3.2.2): the target's authority wins over Host,
    // but not its scheme: that is the socket's (or a trusted proxy's), or a
    // plain-HTTP client could claim https.
    const rest = target.slice(target.indexOf('//') + 2);
    const slash = rest.search(/[/?#]/);
    const authority = slash === -1 ? rest : rest.slice(0, slash);
    if (!VALID_HOST.test(authority)) throw new BadRequestError('Invalid request target');
    url = `${proto}://${authority}${slash === -1 ? '/' : rest.slice(slash)}`;
  } else {
    throw new BadRequestError('Invalid request target');
  }
  return url;
}

function hasSecondHost(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

function requestHasBody(req: IncomingRequest, http2: boolean): boolean {
  if (http2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function localHost(req: IncomingRequest): string {
  const socket = req.socket;
  const address = socket.localAddress ?? '127.0.0.1';
  const port = socket.localPort;
  const name = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? name : `${name}:${port}`;
}

function withoutPseudoHeaders(headers: IncomingRequest['headers']): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a /* : */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    // HTTP/2 splits the Cookie header into one field per cookie (RFC 9113 §8.2.3).
    out[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  return out;
}

/** The scheme the socket speaks. */
export function socketProto(req: IncomingRequest): string {
  return (req.socket as TLSSocket).encrypted === true ? 'https' : 'http';
}

/** The scheme a trusted proxy says the client used, else the socket's. */
export function forwardedProto(req: IncomingRequest): string {
  const header = req.headers['x-forwarded-proto'];
  const value = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();
  return value === 'https' || value === 'http' ? value : socketProto(req);
}
