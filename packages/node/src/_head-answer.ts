import type { ServerResponse } from 'node:http';
import type { IncomingRequest } from './types.ts';

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

export function isPlainTarget(target: string): boolean {
  return PLAIN_TARGET.test(target);
}

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

/** Ask `answer` for the response to a plain GET or HEAD; undefined when the App must answer it. */
export function answerFromHead(answer: AnswerHead, req: IncomingRequest, url: string, env: unknown): HeadAnswer | undefined {
  return answer({ method: req.method!, url, headers: new NodeFields(req) }, env);
}

/** Write an answer made from the head. */
export function writeHeadAnswer(res: ServerResponse, answer: HeadAnswer): void {
  res.writeHead(answer.status, answer.headers as string[]);
  if (answer.body === null) res.end();
  else res.end(answer.body);
}
