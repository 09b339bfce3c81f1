import { type AnswerHead, type Context, type HeadAnswer, isHeadAnswer, type RequestHead } from '@gatehouse/core';
import { abortSignal, disconnectReason, type SignalHolder, signalOf } from './_signal.ts';
import type { IncomingRequest } from './types.ts';

// A target a Request would keep as it is: no percent-escapes, dot
// segments, backslashes or characters URL parsing would encode. Anything
// else takes the Request path, so both see the same URL.
const PLAIN_TARGET = /^\/(?:[A-Za-z0-9\-_~!$&()*+,;=:@]|\.(?![./?]|$)|\/(?!\/))*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;

/** Node's header object, read as the edge reads a Request's Headers. */
class NodeFields {
  readonly #req: IncomingRequest;
  constructor(req: IncomingRequest) {
    this.#req = req;
  }
  // Node joins repeated fields itself, all but Set-Cookie; a Request's
  // Headers, given Node's list for that one, join it with a bare comma.
  get(name: string): string | null {
    const value = this.#req.headers[name];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(',');
  }
  forEach(callback: (value: string, name: string) => void): void {
    const headers = this.#req.headers;
    for (const name in headers) {
      const value = headers[name]!;
      callback(typeof value === 'string' ? value : value.join(','), name);
    }
  }
}

/**
 * The head of a request the App may answer without a Request. Like
 * `NodeRequest`, its signal is made only when asked for, and aborts when
 * the client leaves or the handler times out.
 */
export class NodeHead implements RequestHead, SignalHolder {
  readonly method: string;
  readonly url: string;
  readonly headers: NodeFields;
  // Declared, not initialised: their defaults live on the prototype (see NodeRequest).
  declare _controller: AbortController | undefined;
  declare _abortReason: DOMException | undefined;
  /** It has no body (see headOf): what the listener reads of a NodeRequest's. */
  declare readonly _body: undefined;

  constructor(req: IncomingRequest, url: string) {
    this.method = req.method!;
    this.url = url;
    this.headers = new NodeFields(req);
  }

  get signal(): AbortSignal {
    return signalOf(this);
  }

  /** Called when the client goes away before the answer is complete. */
  _disconnect(): void {
    abortSignal(this, disconnectReason());
  }

  _abort(reason: DOMException): void {
    abortSignal(this, reason);
  }
}

NodeHead.prototype._controller = undefined;
NodeHead.prototype._abortReason = undefined;

/**
 * The head of `req` at `url`, if the App may answer it from there: a GET or
 * HEAD over HTTP/1 without a body or an upgrade, whose URL a URL parser
 * would leave as it is (so both paths see the same URL, and a Host the
 * parser refuses is refused by the Request path).
 */
export function headOf(req: IncomingRequest, url: string): NodeHead | undefined {
  const target = req.url ?? '';
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.httpVersionMajor !== 1 || !PLAIN_TARGET.test(target)) return undefined;
  const headers = req.headers;
  if (headers.upgrade !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return undefined;
  if (!isPlainOrigin(url.slice(0, url.length - target.length))) return undefined;
  return new NodeHead(req, url);
}

/** Origins (`proto://host`) seen lately, and whether a URL parser leaves each as it is. */
const plainOrigins = new Map<string, boolean>();

/**
 * Whether `origin` is what a URL parser makes of it: a host it accepts,
 * in lower case, without the default port, IPv4 and IPv6 in their
 * shortest forms. Hosts come from clients, so the memory is bounded.
 */
function isPlainOrigin(origin: string): boolean {
  let plain = plainOrigins.get(origin);
  if (plain !== undefined) return plain;
  try {
    plain = new URL(origin).origin === origin;
  } catch {
    plain = false;
  }
  if (plainOrigins.size >= 256) plainOrigins.clear();
  plainOrigins.set(origin, plain);
  return plain;
}

/**
 * What the App answers from `head`: an answer, a promise of one, or
 * undefined when `fetch` must answer. An answerer that throws leaves the
 * request to `fetch` too, which reports what goes wrong.
 */
export function askHead<Env>(answer: AnswerHead<Env>, head: NodeHead, env: Env, ctx: Context): HeadAnswer | PromiseLike<unknown> | undefined {
  let made: unknown;
  try {
    made = answer(head, env, ctx);
  } catch {
    return undefined;
  }
  if (made === undefined || made === null) return undefined;
  // A promise, or something that only looks like one (another realm's): the listener checks what it brings.
  if (typeof (made as PromiseLike<unknown>).then === 'function') return made as PromiseLike<unknown>;
  return isHeadAnswer(made) ? made : undefined;
}
