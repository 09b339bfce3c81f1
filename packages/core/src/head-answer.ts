/**
 * Answers made from the request head alone: an optional App capability,
 * for a server that can skip the `Request` and `Response` objects of the
 * requests that need neither. On Node, building those objects costs more
 * than the rest of serving a small file or proxying a GET; the answer is
 * the same either way.
 *
 * An App offers it under {@link ANSWER_HEAD}. A server that has a GET or
 * HEAD without a body calls it first with the request's head: `undefined`
 * means "call `fetch` with a Request as usual"; anything else is the
 * answer `fetch` would have given, made at once (a file held in memory) or
 * later (a proxied request). A promise that rejects is `fetch` throwing.
 */
import type { Context } from './context.ts';

/** The fields of a request, read from a `Request`'s Headers or straight from a server's own request. */
export interface FieldReader {
  /** The field's value, duplicates joined with `, ` (Cookie: `; `), or null. */
  get(name: string): string | null;
}

/** Every field of a request, names in lower case; `Headers` is one. */
export interface RequestFields extends FieldReader {
  forEach(callback: (value: string, name: string) => void): void;
}

/** A GET or HEAD without a body (and not a WebSocket handshake), as a server received it, before any `Request` is made of it. */
export interface RequestHead {
  readonly method: string;
  /** Absolute, exactly as `Request.url` would be. */
  readonly url: string;
  readonly headers: RequestFields;
  /** Aborts when the client goes away, or when the server gives up on the answer; as `Request.signal`. */
  readonly signal: AbortSignal;
}

/**
 * An answer made without a `Response`: status, reason phrase, fields
 * (names and values alternating, names in lower case, never to be
 * changed) and the body: whole, streamed, or none. It never carries
 * hop-by-hop fields.
 */
export interface HeadAnswer {
  readonly status: number;
  /** The reason phrase, when it is not the standard one (as `Response.statusText`). */
  readonly statusText?: string;
  readonly headers: readonly string[];
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/**
 * The key under which an App offers answers made from the request head
 * alone. A registered symbol: two copies of this package agree on it.
 */
export const ANSWER_HEAD: unique symbol = Symbol.for('gatehouse.answerHead') as typeof ANSWER_HEAD;

/**
 * The method an App offers under {@link ANSWER_HEAD}. `ctx` is the
 * request's, as `fetch` would get it. Returns `undefined` when `fetch`
 * must answer; never throws for that (a throw, or a rejection, is the
 * answer failing, as `fetch` throwing).
 */
export type AnswerHead<Env = {}> = (head: RequestHead, env: Env, ctx: Context) => HeadAnswer | Promise<HeadAnswer> | undefined;

/** An App that offers answers from the request head (the capability made required). */
export interface AnswersHeads<Env = {}> {
  [ANSWER_HEAD]: AnswerHead<Env>;
}

/** The App's way to answer from the request head, bound to it, if it offers one. */
export function headAnswerer<Env>(app: object): AnswerHead<Env> | undefined {
  const method = (app as { [ANSWER_HEAD]?: unknown })[ANSWER_HEAD];
  return typeof method === 'function' ? (method.bind(app) as AnswerHead<Env>) : undefined;
}

/** Whether `value` is a {@link HeadAnswer}: checked by shape, as what a promise brought must be. */
export function isHeadAnswer(value: unknown): value is HeadAnswer {
  return typeof value === 'object' && value !== null && typeof (value as HeadAnswer).status === 'number' && Array.isArray((value as HeadAnswer).headers);
}
