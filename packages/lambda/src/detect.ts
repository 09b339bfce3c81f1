import type { EventSource } from './events.ts';

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;

/**
 * Which source sent `event`, read from its shape; `undefined` if it is no
 * HTTP event this adapter knows.
 *
 * The order matters. A payload 2.0 event is recognised by
 * `requestContext.http`, not by `version` alone: REST events behind a
 * custom domain and HTTP API 1.0 events carry a `version` too. ALB events
 * are recognised by `requestContext.elb` before the REST check, since they
 * share `httpMethod` and `path`.
 */
export function detectSource(event: unknown): EventSource | undefined {
  if (!isObject(event)) return undefined;
  const context = event.requestContext;
  if (isObject(context)) {
    if (isObject(context.http) && typeof event.rawPath === 'string') return 'http';
    if (isObject(context.elb) && typeof event.httpMethod === 'string') return 'alb';
    if (typeof event.httpMethod === 'string' && typeof event.path === 'string') return 'rest';
    if (typeof event.method === 'string' && typeof event.path === 'string') return 'lattice-v2';
  }
  if (typeof event.raw_path === 'string' && typeof event.method === 'string') return 'lattice-v1';
  return undefined;
}
