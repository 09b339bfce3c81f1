import type { Context, HeadAnswer, RequestFields } from '@gatehouse/core';
import { watchEnd } from '../_watch-end.ts';

/** Where the edge's access log goes, and in which format. */
export interface AccessLogConfig {
  /**
   * `combined`: nginx's default line, `$remote_addr - $remote_user
   * [$time_local] "$request" $status $body_bytes_sent "$http_referer"
   * "$http_user_agent"`. `json`: one object per line, with the route,
   * the upstream server and its time, the cache status and the request's
   * time besides. Defaults to `combined`.
   */
  readonly format?: 'combined' | 'json';
  /**
   * Takes each line (without its newline), once the answer's body has been
   * sent or the client left. Called off the response path, inside
   * `ctx.waitUntil` (so on Workers it may `fetch`). Defaults to
   * `console.log`. On Node, `accessLogFile(path)` of
   * `@gatehouse/edge-node` appends to a file and reopens it on SIGUSR1.
   */
  readonly write?: (line: string) => void | Promise<void>;
}

/** What the edge learns of one request while answering it. */
export interface AccessRecord {
  /** The location that answered, as written in the config. */
  route: string;
  /** The upstream servers tried, in order (nginx's `$upstream_addr`). */
  upstreams: string[];
  /** Milliseconds from sending to each server's answer head (nginx's `$upstream_response_time`). */
  upstreamTimes: number[];
  /** The cache's verdict (HIT, MISS…), when a cache answered. */
  cache: string | undefined;
}

const records = new WeakMap<object, AccessRecord>();

/** The record of the request (a `Request` or a request head) the edge is answering, when it keeps a log. */
export function accessRecordOf(request: object): AccessRecord | undefined {
  return records.get(request);
}

/** Tie `request` to `record` (also a Request a rule replaced the client's with). */
export function trackAccess(request: object, record: AccessRecord): void {
  records.set(request, record);
}

/** The request's side of a log line. */
interface Asked {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestFields;
}

/** The access log compiled from its config: it follows each answer to the end of its body. */
export interface AccessLog {
  /** A record for `request`, tracked until it is logged. */
  begin(request: Asked, route: string): AccessRecord;
  /** The Response to send, its body counted, and the line written once it has gone. */
  response(request: Asked, record: AccessRecord, response: Response, ctx: Context, started: number): Response;
  /** The same for an answer made from the request head. */
  headAnswer(request: Asked, record: AccessRecord, answer: HeadAnswer, ctx: Context, started: number): HeadAnswer;
}

export function compileAccessLog(config: AccessLogConfig): AccessLog {
  const format = config.format ?? 'combined';
  if (format !== 'combined' && format !== 'json') throw new Error(`accessLog.format is 'combined' or 'json', not ${JSON.stringify(format)}`);
  const write = config.write ?? ((line: string) => console.log(line));
  if (typeof write !== 'function') throw new Error('accessLog.write is a function that takes a line');

  const line = (request: Asked, record: AccessRecord, status: number, bytes: number, ctx: Context, started: number, completed: boolean): string => {
    const at = new Date(started);
    const { path, query } = pathOf(request.url);
    if (format === 'json') {
      return JSON.stringify({
        time: at.toISOString(),
        remote_addr: ctx.clientAddress ?? null,
        method: request.method,
        host: hostOf(request.url),
        uri: path + query,
        status,
        bytes,
        completed,
        request_time_ms: Date.now() - started,
        route: record.route,
        upstream: record.upstreams.length === 0 ? null : record.upstreams.join(', '),
        upstream_time_ms: record.upstreamTimes.length === 0 ? null : record.upstreamTimes.join(', '),
        cache: record.cache ?? null,
        referer: request.headers.get('referer'),
        user_agent: request.headers.get('user-agent'),
      });
    }
    return (
      `${escape(ctx.clientAddress ?? '-')} - - [${timeLocal(at)}] "${escape(`${request.method} ${path}${query} HTTP/1.1`)}" ${status} ${bytes} ` +
      `"${escape(request.headers.get('referer') ?? '-')}" "${escape(request.headers.get('user-agent') ?? '-')}"`
    );
  };
  const finish = (request: Asked, record: AccessRecord, status: number, ctx: Context, started: number) => (bytes: number, completed: boolean): void => {
    const text = line(request, record, status, bytes, ctx, started, completed);
    try {
      const written = write(text);
      if (written instanceof Promise) ctx.waitUntil(written.catch(() => {}));
    } catch {
      // A log that cannot be written never fails the answer.
    }
  };

  return {
    begin(request, route) {
      const record: AccessRecord = { route, upstreams: [], upstreamTimes: [], cache: undefined };
      records.set(request, record);
      return record;
    },
    response(request, record, response, ctx, started) {
      const done = finish(request, record, response.status, ctx, started);
      // An upgraded answer carries its socket, and a body-less one has nothing to count.
      if (response.body === null || response.status === 101) {
        ctx.waitUntil(Promise.resolve().then(() => done(0, true)));
        return response;
      }
      let ended!: (bytes: number, completed: boolean) => void;
      ctx.waitUntil(new Promise<void>((resolve) => (ended = (bytes, completed) => resolve(done(bytes, completed)))));
      return new Response(watchEnd(response.body, ended), response);
    },
    headAnswer(request, record, answer, ctx, started) {
      const done = finish(request, record, answer.status, ctx, started);
      const body = answer.body;
      if (!(body instanceof ReadableStream)) {
        ctx.waitUntil(Promise.resolve().then(() => done(body === null || request.method === 'HEAD' ? 0 : body.byteLength, true)));
        return answer;
      }
      let ended!: (bytes: number, completed: boolean) => void;
      ctx.waitUntil(new Promise<void>((resolve) => (ended = (bytes, completed) => resolve(done(bytes, completed)))));
      return { ...answer, body: watchEnd(body, ended) };
    },
  };
}

function pathOf(url: string): { path: string; query: string } {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return { path: '/', query: '' };
  const mark = url.indexOf('?', start);
  return mark === -1 ? { path: url.slice(start), query: '' } : { path: url.slice(start, mark), query: url.slice(mark) };
}

function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  const end = url.indexOf('/', start);
  return url.slice(start, end === -1 ? undefined : end);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** nginx's `$time_local`, in UTC: `05/Dec/2026:07:56:08 +0000`. */
function timeLocal(at: Date): string {
  return `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

/** nginx's default log escaping: `"`, `\` and bytes outside printable ASCII as `\xHH`, so no client can forge a line. */
function escape(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out += byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}
