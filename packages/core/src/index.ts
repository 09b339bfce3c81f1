/**
 * The Gatehouse App contract, shared by every adapter and by the edge tier.
 * It has no dependencies and imports no runtime.
 *
 * @module
 */
export type { App, Context, FetchHandler, RuntimeName, ScheduledController } from './app.ts';
export { compose, type Middleware } from './middleware.ts';
export { getSetCookies, splitSetCookie } from './set-cookie.ts';
export { isNullBodyStatus } from './status.ts';
