import type { ServerResponse } from 'node:http';
import type { IncomingRequest, OutgoingResponse } from './types.ts';

// An App may offer answers made from the request head alone (the edge does,
// for files it holds in memory): restated here by shape, as `@gatehouse/edge`
// documents it, so that this package does not depend on that one.

/** What the App is given: `RequestHead` in `@gatehouse/edge`. */
interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/** What it answers: `HeadAnswer` in `@gatehouse/edge`. */
interface HeadAnswer {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: Uint8Array | null;
}

type AnswerHead = (head: RequestHead, env: unknown) => HeadAnswer | undefined;

/** The registered symbol an App offers the method under (`ANSWER_HEAD` in `@gatehouse/edge`). */
const ANSWER_HEAD = Symbol.for('gatehouse.answerHead');

/** The App's way to answer from the request head, if it has one. */
export function headAnswerer(app: object): AnswerHead | undefined {
  const method = (app as { [ANSWER_HEAD]?: unknown })[ANSWER_HEAD];
  return typeof method === 'function' ? (method.bind(app) as AnswerHead) : undefined;
}

// A target a Request would keep as it is: no percent-escapes, dot
// segments, backslashes or characters URL parsing would encode. Anything
// else takes the Request path, so both see the same URL.
const PLAIN_TARGET = /^\/(?:[A-Za-z0-9\-_~!$&()*+,;=:@]|\.(?![./?]|$)|\/(?!\/))*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;

/** Node's header object as the few reads an answerer makes. */
class NodeFields {
  readonly #req: IncomingRequest;
  constructor(req: IncomingRequest) {
    this.#req = req;
  }
  get(name: string): string | null {
    const value = this.#req.headers[name];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }
}

/**
 * Answer a plain HTTP/1.1 GET or HEAD with what `answer` makes of its head,
 * if it makes something; false when the App's `fetch` must answer (an
 * answerer that throws leaves it to `fetch` too, which reports it).
 */
export function answeredFromHead(
  answer: AnswerHead,
  req: IncomingRequest,
  res: OutgoingResponse,
  url: string,
  env: unknown,
  closing: boolean,
): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.httpVersionMajor !== 1 || !PLAIN_TARGET.test(req.url ?? '')) return false;
  let made: HeadAnswer | undefined;
  try {
    made = answer({ method: req.method, url, headers: new NodeFields(req) }, env);
  } catch {
    return false;
  }
  if (made === undefined) return false;
  const node = res as ServerResponse;
  if (closing) node.shouldKeepAlive = false;
  node.writeHead(made.status, made.headers as string[]);
  if (made.body === null) node.end();
  else node.end(made.body);
  return true;
}
