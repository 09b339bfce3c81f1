import type { EventSource, ScheduledEvent } from './events.ts';

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

/**
 * Whether `event` is an EventBridge scheduled event: `detail-type` is
 * `Scheduled Event` and `source` is `aws.events` (a scheduled rule) or
 * `aws.scheduler` (EventBridge Scheduler, when its input uses the same
 * envelope). Only those two fields are read: `time`, `resources` and
 * `detail` may be missing. No HTTP event has either field, and an event
 * put on a bus by anyone but AWS cannot have a source starting `aws.`.
 *
 * @example
 * ```ts
 * import { isScheduledEvent } from '@gatehouse/lambda'
 *
 * isScheduledEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-11-25T20:00:00Z' }) // true
 * ```
 */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  if (!isObject(event) || event['detail-type'] !== 'Scheduled Event') return false;
  return event.source === 'aws.events' || event.source === 'aws.scheduler';
}
