import { type Context, type HeadAnswer, type RequestHead, staysOnConnection } from '@gatehouse/core';
import { compileGuard, forbidden } from '../_guard.ts';
import { accessRecordOf, trackAccess } from '../access-log/access-log.ts';
import { evaluatePreconditions, ifRangeHolds, parseHttpDate, seconds, type Validators } from '../static/_conditional.ts';
import { readAhead } from '../proxy/_buffering.ts';
import { readRange } from '../static/_range.ts';
import { deltaSeconds, parseDirectives } from './_directives.ts';
import type { CacheRules, CacheStatus } from './cache-rules.ts';
import { CacheStats } from './cache-stats.ts';
import { type CacheEntry, type CacheStore, isResponseHead, type StoredResponseHead, type VariantsHead } from './cache-store.ts';
import { currentAge, fieldOf, freshnessLifetime, type FreshnessSettings, HEURISTIC_STATUSES } from './freshness.ts';

/** A cache compiled from its rules: it answers a request from its store or through `origin`. */
export interface HttpCache {
  handle(request: Request, ctx: Context, origin: (request: Request) => Promise<Response>): Promise<Response>;
  /**
   * A fresh hit answered from the request head alone (no Request, no
   * Response), or undefined: then `handle` answers. Only for the default
   * key and no `bypass` (both take a Request), a store that answers at
   * once (the memory store), and a GET or HEAD with no conditional or range.
   */
  answerHead(head: RequestHead): HeadAnswer | undefined;
  readonly stats: CacheStats;
}

/** Request fields that make a hit more than the stored response: the head path leaves them to `handle`. */
const NOT_FROM_HEAD = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'range', 'upgrade'];

/** A response the store holds, found for a request. */
interface Found {
  readonly head: StoredResponseHead;
  readonly body: Uint8Array;
  /** Where it is kept: the request's key, or its variant's. */
  readonly storeKey: string;
}

/** A stored head's freshness, as {@link freshnessLifetime} and {@link currentAge} give it, and its fields for answers from the head. */
interface Judged {
  readonly directives: ReadonlyMap<string, string>;
  readonly lifetime: number;
  readonly initialAge: number;
  /** Its fields but Age, flat, made on the first answer from the head. */
  flat: string[] | undefined;
}

/** What the store holds for a request: its response, and its key's Vary record. */
interface Looked {
  readonly found: Found | undefined;
  readonly variants: VariantsHead | undefined;
}

const NOTHING: Looked = { found: undefined, variants: undefined };

/** Request fields the cache answers itself from a stored response: they never go to the origin on its behalf. */
const ANSWERED_HERE = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range'];
/** Errors a stale response may stand in for (RFC 5861 §4). */
const STALE_FOR = new Set([500, 502, 503, 504]);
/** Fields a 304 must not change in the stored response (RFC 9111 §3.2). */
const KEPT_ON_UPDATE = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'set-cookie']);
/** Fields of a 304 from the cache (RFC 9110 §15.4.5). */
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified', 'age']);
const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

const compiled = new WeakMap<CacheRules, HttpCache>();

/** The cache of `rules`, compiled once per rules object (routes that share the object share counts and collapsed fetches). */
export function httpCache(rules: CacheRules, where: string): HttpCache {
  let cache = compiled.get(rules);
  if (cache === undefined) compiled.set(rules, (cache = compileCache(rules, where)));
  return cache;
}

function compileCache(rules: CacheRules, where: string): HttpCache {
  const fail = (message: string): never => {
    throw new TypeError(`${where}: cache.${message}`);
  };
  const store: CacheStore = rules.store;
  if (typeof store?.get !== 'function' || typeof store.put !== 'function') fail('store is a CacheStore: memoryCacheStore(), workersCacheStore() or redisCacheStore(client)');
  const secondsOf = (value: number | undefined, name: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) fail(`${name} is a number of seconds ≥ 0, not ${String(value)}`);
    return value;
  };
  const ttl = new Map<number, number>();
  if (typeof rules.ttl === 'number') {
    const seconds = secondsOf(rules.ttl, 'ttl', 0);
    for (const status of HEURISTIC_STATUSES) ttl.set(status, seconds);
  } else if (rules.ttl !== undefined) {
    for (const [status, value] of Object.entries(rules.ttl)) ttl.set(Number(status), secondsOf(value, `ttl[${status}]`, 0));
  }
  const heuristic = rules.heuristic ?? 0;
  if (typeof heuristic !== 'number' || !(heuristic >= 0) || heuristic > 1) fail(`heuristic is a fraction between 0 and 1, not ${String(heuristic)}`);
  const settings: FreshnessSettings = { ttl, heuristic };
  const staleWhileRevalidate = secondsOf(rules.staleWhileRevalidate, 'staleWhileRevalidate', 0);
  const staleIfError = secondsOf(rules.staleIfError, 'staleIfError', 0);
  const keep = secondsOf(rules.keep, 'keep', 600);
  const maxSize = rules.maxSize ?? 8 * 1024 * 1024;
  if (!Number.isInteger(maxSize) || maxSize < 0) fail(`maxSize is a number of bytes ≥ 0, not ${String(maxSize)}`);
  const lockTimeout = rules.lockTimeout ?? 5_000;
  if (typeof lockTimeout !== 'number' || !(lockTimeout >= 0)) fail(`lockTimeout is a number of milliseconds ≥ 0, not ${String(lockTimeout)}`);
  const keyOf = rules.key ?? ((request: Request) => request.url);
  if (typeof keyOf !== 'function') fail('key is a function of the request');
  const statusHeader = rules.statusHeader === undefined ? 'x-cache-status' : rules.statusHeader === false ? undefined : rules.statusHeader.toLowerCase();
  const mayPurge = rules.purge === undefined ? undefined : compileGuard(rules.purge, `${where}: cache.purge`);
  const stats = new CacheStats();
  /** Fetches under way, by key, that requests for the same key wait for rather than fetching too. */
  const pending = new Map<string, Promise<Found | undefined>>();
  /** Requests made for a refresh in the background: their answers are nobody's, so not counted. */
  const unseen = new WeakSet<Request>();
  let warnedAt = -Infinity;

  const warn = (error: unknown): void => {
    const now = Date.now();
    if (now - warnedAt < 60_000) return;
    warnedAt = now;
    console.warn(`[gatehouse] ${where}: cache store failed, answering without it: ${(error as Error)?.message ?? String(error)}`);
  };
  const get = async (key: string): Promise<CacheEntry | undefined> => {
    try {
      return await store.get(key);
    } catch (error) {
      warn(error);
      return undefined;
    }
  };
  /** Store work goes on after the answer; what it gives back says when it is done (undefined: done already). */
  const settle = (ctx: Context, work: void | Promise<void>): Promise<void> | undefined => {
    if (!(work instanceof Promise)) return undefined;
    const done = work.catch(warn);
    ctx.waitUntil(done);
    return done;
  };

  /** The stored response for `request`, through its key's Vary record when it has one (also given: a new variant joins it). */
  const lookup = async (key: string, request: Request): Promise<Looked> => {
    const top = await get(key);
    if (top === undefined) return NOTHING;
    if (isResponseHead(top.head)) return { found: { head: top.head, body: top.body, storeKey: key }, variants: undefined };
    const variants = top.head;
    const storeKey = variantKey(key, variants, request.headers);
    const variant = await get(storeKey);
    if (variant === undefined || !isResponseHead(variant.head) || !sameVariant(variant.head, request.headers)) return { found: undefined, variants };
    return { found: { head: variant.head, body: variant.body, storeKey }, variants };
  };

  const mark = (request: Request, response: Response, status: CacheStatus): Response => {
    if (unseen.has(request)) return response;
    stats.count(status);
    const record = accessRecordOf(request);
    if (record !== undefined) record.cache = status;
    if (statusHeader === undefined) return response;
    try {
      response.headers.set(statusHeader, status);
      return response;
    } catch {
      // A fetched response's fields cannot change: a copy's can.
      const copy = new Response(response.body, response);
      copy.headers.set(statusHeader, status);
      return copy;
    }
  };

  /** The answer from a stored response: the client's conditionals and range are answered here. */
  const serve = (found: Found, request: Request, status: CacheStatus, now: number): Response => {
    const head = found.head;
    const headers = new Headers();
    for (const [name, value] of head.headers) if (name !== 'age') headers.append(name, value);
    headers.set('age', String(Math.floor(ageOf(head, judge(head), now))));
    let answerStatus = head.status;
    let body: Uint8Array | null = found.body;
    if (head.status === 200) {
      const own = validatorsOf(head);
      const decision = evaluatePreconditions(request.headers, own);
      if (decision === 304) {
        const kept = new Headers();
        for (const [name, value] of headers) if (NOT_MODIFIED_FIELDS.has(name) || name === statusHeader) kept.append(name, value);
        return mark(request, new Response(null, { status: 304, headers: kept }), status);
      }
      if (decision === 412) return mark(request, new Response(null, { status: 412 }), status);
      const range = request.headers.get('range');
      if (range !== null && ifRangeHolds(request.headers.get('if-range'), own)) {
        const wanted = readRange(range, body.byteLength);
        if (wanted.kind === 'unsatisfiable') {
          headers.set('content-range', `bytes */${body.byteLength}`);
          headers.delete('content-length');
          return mark(request, new Response(null, { status: 416, headers }), status);
        }
        if (wanted.kind === 'part') {
          const { start, end } = wanted.range;
          headers.set('content-range', `bytes ${start}-${end}/${body.byteLength}`);
          headers.set('content-length', String(end - start + 1));
          answerStatus = 206;
          body = body.subarray(start, end + 1);
        }
      }
    }
    if (request.method === 'HEAD' || answerStatus === 204) body = null;
    return mark(request, new Response(body as Uint8Array<ArrayBuffer> | null, { status: answerStatus, headers }), status);
  };

  /** Fields of the request that goes to the origin for the cache: a GET, its conditionals the cache's own (a stale response's validators). */
  const forOrigin = (request: Request, stale: Found | undefined, background: boolean): Request => {
    const headers = new Headers(request.headers);
    for (const name of ANSWERED_HERE) headers.delete(name);
    if (stale !== undefined) {
      const etag = fieldOf(stale.head, 'etag');
      const lastModified = fieldOf(stale.head, 'last-modified');
      if (etag !== null) headers.set('if-none-match', etag);
      if (lastModified !== null) headers.set('if-modified-since', lastModified);
    }
    // A refresh in the background outlives the client that started it.
    const sent = new Request(request.url, { method: 'GET', headers, signal: background ? undefined : request.signal });
    const record = background ? undefined : accessRecordOf(request);
    if (record !== undefined) trackAccess(sent, record);
    return sent;
  };

  /**
   * How long to keep a response, in seconds from now: while fresh, then
   * while it may be served stale or revalidated; 0: not at all. Only a
   * response that says how long it is fresh (even 0 s), or that a route
   * setting gives a time, is kept: one with validators alone would be
   * revalidated on every request, for nothing the origin asked.
   */
  const keepFor = (head: StoredResponseHead, now: number): number => {
    const judged = judge(head);
    const { directives, lifetime } = judged;
    const explicit =
      directives.has('s-maxage') || directives.has('max-age') || directives.has('no-cache') || fieldOf(head, 'expires') !== null || settings.ttl.has(head.status);
    if (!explicit && lifetime === 0) return 0;
    const validated = fieldOf(head, 'etag') !== null || fieldOf(head, 'last-modified') !== null;
    // A response that must be validated each time is worth keeping only if it can be.
    if (directives.has('no-cache') && !validated) return 0;
    const stale = mustRevalidate(directives)
      ? 0
      : Math.max(deltaSeconds(directives, 'stale-while-revalidate') ?? staleWhileRevalidate, deltaSeconds(directives, 'stale-if-error') ?? staleIfError);
    return Math.max(0, lifetime - ageOf(head, judged, now) + Math.max(stale, validated ? keep : 0));
  };

  /** Keep `found` (new or freshened) under its key, through a Vary record when the response varies. */
  const keepEntry = (
    ctx: Context,
    key: string,
    request: Request,
    head: StoredResponseHead,
    body: Uint8Array,
    known: VariantsHead | undefined,
    now: number,
  ): Promise<unknown> | undefined => {
    const seconds = keepFor(head, now);
    if (seconds <= 0) return undefined;
    const ms = Math.ceil(seconds * 1000);
    const entry: CacheEntry = { head, body };
    if (head.varied === undefined) return settle(ctx, store.put(key, entry, ms));
    const fields = Object.keys(head.varied);
    const record = known !== undefined && sameFields(known.varies, fields) ? known : { varies: fields, responseTime: now };
    const kept = [settle(ctx, store.put(key, { head: record, body: new Uint8Array(0) }, ms)), settle(ctx, store.put(variantKey(key, record, request.headers), entry, ms))];
    return kept[0] === undefined && kept[1] === undefined ? undefined : Promise.all(kept);
  };

  /**
   * Ask the origin (for a miss, or to revalidate `stale`), keep what may be
   * kept, and answer. `lead`: requests for the same key wait for this one.
   */
  const fetchAndKeep = async (
    key: string,
    request: Request,
    ctx: Context,
    origin: (request: Request) => Promise<Response>,
    looked: Looked,
    lead: boolean,
    background: boolean,
  ): Promise<Response> => {
    const stale = looked.found;
    let done!: (found: Found | undefined) => void;
    const mine = lead ? new Promise<Found | undefined>((resolve) => (done = resolve)) : undefined;
    if (mine !== undefined) pending.set(key, mine);
    let result: Found | undefined;
    /** The store's writing of what was fetched, when it takes time. */
    let kept: Promise<unknown> | undefined;
    try {
      const requestTime = Date.now();
      let response: Response;
      try {
        response = await origin(forOrigin(request, stale, background));
      } catch (error) {
        if (stale !== undefined && !request.signal.aborted && mayServeStale(stale.head, judge(stale.head), 'stale-if-error', staleIfError, Date.now())) {
          return serve(stale, request, 'STALE', Date.now());
        }
        throw error;
      }
      const now = Date.now();
      if (stale !== undefined && response.status === 304) {
        await response.body?.cancel();
        const head = freshened(stale.head, response.headers, requestTime, now, statusHeader);
        result = { head, body: stale.body, storeKey: stale.storeKey };
        kept = keepEntry(ctx, key, request, head, stale.body, looked.variants, now);
        return serve(result, request, 'REVALIDATED', now);
      }
      if (stale !== undefined && STALE_FOR.has(response.status) && mayServeStale(stale.head, judge(stale.head), 'stale-if-error', staleIfError, now)) {
        await response.body?.cancel();
        return serve(stale, request, 'STALE', now);
      }
      const status: CacheStatus = stale === undefined ? 'MISS' : 'EXPIRED';
      const head = storableHead(request, response, requestTime, now, statusHeader);
      if (head === undefined || keepFor(head, now) <= 0) return mark(request, asAsked(request, response), status);
      const read = await readUpTo(response, maxSize);
      if (read instanceof ReadableStream) {
        // Too large to keep: it goes through as it comes.
        return mark(request, asAsked(request, new Response(read, response)), status);
      }
      // A body that came chunked is kept with its length: a HEAD is told it too.
      const whole = fieldOf(head, 'content-length') === null ? { ...head, headers: [...head.headers, ['content-length', String(read.byteLength)] as const] } : head;
      result = { head: whole, body: read, storeKey: key };
      kept = keepEntry(ctx, key, request, whole, read, looked.variants, now);
      return serve(result, request, status, now);
    } finally {
      if (mine !== undefined) {
        done(result);
        // Until the store has it, a request for the key is still this fetch's: else one that
        // comes meanwhile finds the old entry and fetches again (a second refresh, a second miss).
        const over = (): void => {
          if (pending.get(key) === mine) pending.delete(key);
        };
        if (kept === undefined) over();
        else void kept.then(over);
      }
    }
  };

  /** A miss or a stale response to revalidate: wait for a fetch of the same key under way, or make one. */
  const fetchOnce = async (
    key: string,
    request: Request,
    ctx: Context,
    origin: (request: Request) => Promise<Response>,
    looked: Looked,
  ): Promise<Response> => {
    const under = lockTimeout === 0 ? undefined : pending.get(key);
    if (under === undefined) return fetchAndKeep(key, request, ctx, origin, looked, lockTimeout !== 0, false);
    const fetched = await within(under, lockTimeout);
    if (fetched !== undefined && sameVariant(fetched.head, request.headers)) return serve(fetched, request, 'HIT', Date.now());
    return fetchAndKeep(key, request, ctx, origin, looked, false, false);
  };

  const purge = async (request: Request, ctx: Context): Promise<Response> => {
    if (!mayPurge!(request, ctx)) return forbidden();
    const url = new URL(request.url);
    const text = (line: string) => new Response(`${line}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (url.pathname.endsWith('*')) {
      url.pathname = url.pathname.slice(0, -1);
      url.search = '';
      const prefix = keyOf(new Request(url, { method: 'GET' }));
      await store.deletePrefix(prefix);
      return text(`purged ${prefix}*`);
    }
    // Dropping the key drops its Vary record too: its variants can no longer be found.
    const key = keyOf(new Request(url, { method: 'GET', headers: request.headers }));
    await store.delete(key);
    return text(`purged ${key}`);
  };

  /** What a stored head says of its freshness, worked out once per head (a hit then parses nothing). */
  const judgedHeads = new WeakMap<StoredResponseHead, Judged>();
  const judge = (head: StoredResponseHead): Judged => {
    let judged = judgedHeads.get(head);
    if (judged === undefined) {
      const directives = parseDirectives(fieldOf(head, 'cache-control'));
      // Its age when it arrived: the age now adds the time since.
      judged = { directives, lifetime: freshnessLifetime(head, directives, settings), initialAge: currentAge(head, head.responseTime), flat: undefined };
      judgedHeads.set(head, judged);
    }
    return judged;
  };

  /** Whether the store's `get` answers at once; unknown until it is first asked. */
  let storeAnswersAtOnce: boolean | undefined;
  const getAtOnce = (key: string): CacheEntry | undefined | false => {
    if (storeAnswersAtOnce === false) return false;
    let got: ReturnType<CacheStore['get']>;
    try {
      got = store.get(key);
    } catch {
      return false;
    }
    if (got instanceof Promise) {
      storeAnswersAtOnce = false;
      got.catch(ignore);
      return false;
    }
    storeAnswersAtOnce = true;
    return got;
  };
  const fromHead = rules.key === undefined && rules.bypass === undefined;

  return {
    stats,
    answerHead(head) {
      if (!fromHead || (head.method !== 'GET' && head.method !== 'HEAD')) return undefined;
      const fields = head.headers;
      for (const name of NOT_FROM_HEAD) if (fields.get(name) !== null) return undefined;
      const top = getAtOnce(head.url);
      if (top === false || top === undefined) return undefined;
      let entry: CacheEntry | undefined | false = top;
      if (!isResponseHead(top.head)) {
        entry = getAtOnce(variantKey(head.url, top.head, fields));
        if (entry === false || entry === undefined) return undefined;
      }
      const stored = entry.head;
      if (!isResponseHead(stored) || !sameVariant(stored, fields)) return undefined;
      const judged = judge(stored);
      const age = ageOf(stored, judged, Date.now());
      if (!(age < judged.lifetime) || judged.directives.has('no-cache')) return undefined;
      stats.count('HIT');
      const record = accessRecordOf(head);
      if (record !== undefined) record.cache = 'HIT';
      if (judged.flat === undefined) {
        const flat: string[] = [];
        for (const [name, value] of stored.headers) if (name !== 'age') flat.push(name, value);
        judged.flat = flat;
      }
      const flat = judged.flat.slice();
      flat.push('age', String(Math.floor(age)));
      if (statusHeader !== undefined) flat.push(statusHeader, 'HIT');
      return { status: stored.status, headers: flat, body: head.method === 'HEAD' || stored.status === 204 ? null : entry.body };
    },
    async handle(request, ctx, origin) {
      const method = request.method;
      if (method === 'PURGE' && mayPurge !== undefined) return purge(request, ctx);
      if (method !== 'GET' && method !== 'HEAD') {
        const response = await origin(request);
        // RFC 9111 §4.4: a change through the cache makes what it kept of the target stale.
        if (UNSAFE.has(method) && response.status < 400) settle(ctx, store.delete(keyOf(request)));
        return mark(request, response, 'BYPASS');
      }
      // An upgrade's 101 goes out as the very object it is.
      if (request.headers.has('upgrade')) return origin(request);
      if (rules.bypass?.(request) === true) return mark(request, await origin(request), 'BYPASS');
      const key = keyOf(request);
      const looked = await lookup(key, request);
      const found = looked.found;
      if (found === undefined) {
        // A range of something not kept is the origin's to cut: it is not kept whole for it.
        if (request.headers.has('range')) return mark(request, await origin(request), 'MISS');
        return fetchOnce(key, request, ctx, origin, looked);
      }
      const now = Date.now();
      const judged = judge(found.head);
      if (ageOf(found.head, judged, now) < judged.lifetime && !judged.directives.has('no-cache')) return serve(found, request, 'HIT', now);
      if (mayServeStale(found.head, judged, 'stale-while-revalidate', staleWhileRevalidate, now)) {
        // One refresh, however many ask meanwhile: the others are answered stale.
        if (!pending.has(key)) {
          const refresh = new Request(request.url, { method: 'GET', headers: request.headers });
          unseen.add(refresh);
          ctx.waitUntil(
            fetchAndKeep(key, refresh, ctx, origin, looked, true, true).then(
              (response) => response.body?.cancel(),
              (error: unknown) => warn(error),
            ),
          );
        }
        return serve(found, request, 'UPDATING', now);
      }
      return fetchOnce(key, request, ctx, origin, looked);
    },
  };
}

/**
 * must-revalidate, proxy-revalidate (for shared caches) and no-cache forbid
 * serving a stale response. s-maxage implies proxy-revalidate too (RFC
 * 9111 §5.2.2.10), but a response that also says stale-while-revalidate
 * or stale-if-error asks for exactly that (RFC 5861), and
 * `s-maxage=60, stale-while-revalidate=300` is how origins say it most.
 */
function mustRevalidate(directives: ReadonlyMap<string, string>): boolean {
  return directives.has('must-revalidate') || directives.has('proxy-revalidate') || directives.has('no-cache');
}

/**
 * Whether a stale `head` may still be served, by the response's own
 * `directive` (seconds past its freshness) or else the route's `fallback`.
 */
function mayServeStale(
  head: StoredResponseHead,
  judged: Judged,
  directive: 'stale-while-revalidate' | 'stale-if-error',
  fallback: number,
  now: number,
): boolean {
  if (mustRevalidate(judged.directives)) return false;
  const allowed = deltaSeconds(judged.directives, directive) ?? fallback;
  return allowed > 0 && ageOf(head, judged, now) - judged.lifetime <= allowed;
}

/** A stored response's age at `now`: its age when it arrived, and the time since. */
function ageOf(head: StoredResponseHead, judged: Judged, now: number): number {
  return judged.initialAge + Math.max(0, (now - head.responseTime) / 1000);
}

/** The head to keep of `response` to `request`, or undefined when a shared cache must not keep it. */
function storableHead(request: Request, response: Response, requestTime: number, responseTime: number, statusHeader: string | undefined): StoredResponseHead | undefined {
  const status = response.status;
  if (status < 200 || status === 206 || status === 304 || status > 599) return undefined;
  const fields = response.headers;
  if (fields.has('set-cookie')) return undefined;
  const directives = parseDirectives(fields.get('cache-control'));
  if (directives.has('no-store') || directives.has('private')) return undefined;
  if (request.headers.has('authorization') && !directives.has('public') && !directives.has('s-maxage') && !directives.has('must-revalidate')) return undefined;
  const vary = fields.get('vary');
  let varied: Record<string, string | null> | undefined;
  if (vary !== null) {
    for (const name of vary.split(',')) {
      const field = name.trim().toLowerCase();
      if (field === '') continue;
      if (field === '*') return undefined;
      (varied ??= {})[field] = request.headers.get(field);
    }
  }
  const headers: [string, string][] = [];
  for (const [name, value] of fields) if (name !== statusHeader && !staysOnConnection(name)) headers.push([name, value]);
  return { status, headers, requestTime, responseTime, ...(varied === undefined ? {} : { varied }) };
}

/** A stored head brought up to date by a 304's fields (RFC 9111 §3.2, §4.3.4). */
function freshened(head: StoredResponseHead, update: Headers, requestTime: number, responseTime: number, statusHeader: string | undefined): StoredResponseHead {
  const replaced = new Set<string>();
  for (const [name] of update) if (!KEPT_ON_UPDATE.has(name) && name !== statusHeader && !staysOnConnection(name)) replaced.add(name);
  const headers: [string, string][] = head.headers.filter(([name]) => !replaced.has(name)).map(([name, value]) => [name, value]);
  for (const name of replaced) headers.push([name, update.get(name)!]);
  return { ...head, headers, requestTime, responseTime };
}

/** The key a variant is kept under: its key, its Vary record's time (a new record leaves the old variants behind) and the request's values. */
function variantKey(key: string, record: VariantsHead, headers: { get(name: string): string | null }): string {
  let out = `${key}\n${record.responseTime}`;
  for (const field of record.varies) {
    const value = headers.get(field);
    out += value === null ? `\n${field}` : `\n${field}=${value}`;
  }
  return out;
}

/** Whether a request's fields select this stored variant (RFC 9111 §4.1). */
function sameVariant(head: StoredResponseHead, headers: { get(name: string): string | null }): boolean {
  const varied = head.varied;
  if (varied === undefined) return true;
  for (const field in varied) if (headers.get(field) !== varied[field]) return false;
  return true;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i]);
}

function validatorsOf(head: StoredResponseHead): Validators {
  const etag = fieldOf(head, 'etag');
  const lastModified = fieldOf(head, 'last-modified');
  const modified = lastModified === null ? Number.NaN : parseHttpDate(lastModified);
  return { etag: etag ?? undefined, modifiedSeconds: Number.isNaN(modified) ? undefined : seconds(modified) };
}

/** A response fetched as a GET, as the client asked: without its body for a HEAD. */
function asAsked(request: Request, response: Response): Response {
  if (request.method !== 'HEAD' || response.body === null) return response;
  response.body.cancel().catch(ignore);
  return new Response(null, response);
}

/** The whole body when it is at most `limit` bytes; else a stream of all of it, what was read first (the proxy's read-ahead, in memory only). */
async function readUpTo(response: Response, limit: number): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const length = response.headers.get('content-length');
  if (length !== null && Number(length) > limit) return body;
  const read = await readAhead(body, limit, 0, undefined);
  // Without a spill a body is read whole into memory, or goes on as a stream.
  return 'whole' in read ? (read.whole as Uint8Array) : read.stream;
}

/** What `promise` gives within `ms`, or undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function ignore(): void {}
