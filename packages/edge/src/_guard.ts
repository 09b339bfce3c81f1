import type { Context } from '@gatehouse/core';
import { compileAccess } from './rules/client-access.ts';

/** Who may use an operator's endpoint (the status page, cache purges): access rules, a token, or both. */
export interface Guard {
  /** As a route's `access`: `['allow 10.0.0.0/8', 'deny all']`. */
  readonly access?: readonly string[];
  /** A secret to give as `?token=` or `Authorization: Bearer`. */
  readonly token?: string;
}

/** The guard as a check; `what` names the endpoint in the error for a guard that guards nothing. */
export function compileGuard(guard: Guard, what: string): (request: Request, ctx: Context) => boolean {
  const { access, token } = guard;
  if (access === undefined && token === undefined) throw new Error(`${what}: guard it with access rules, a token, or both`);
  const allowed = access === undefined ? undefined : compileAccess(access);
  return (request, ctx) => {
    if (allowed !== undefined && !allowed(ctx.clientAddress)) return false;
    if (token === undefined) return true;
    const query = request.url.indexOf('?');
    const given =
      (query === -1 ? null : new URLSearchParams(request.url.slice(query + 1)).get('token')) ??
      /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    return given === token;
  };
}

/** The answer to a request the guard refused. */
export function forbidden(): Response {
  return new Response('Forbidden\n', { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
