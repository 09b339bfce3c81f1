/**
 * The Gatehouse App contract, shared by every adapter and by the edge tier.
 * It has no dependencies and imports no runtime.
 *
 * @module
 */
export type { App, FetchHandler, ScheduledController } from './app.ts';
export type { Context, RuntimeName } from './context.ts';
export {
  ANSWER_HEAD,
  type AnswerHead,
  type AnswersHeads,
  type FieldReader,
  type HeadAnswer,
  headAnswerer,
  isHeadAnswer,
  type RequestFields,
  type RequestHead,
} from './head-answer.ts';
export { type Drainable, drained } from './drained.ts';
export { connectionTokens, isHopByHop, staysOnConnection } from './fields.ts';
export { compose, type Middleware } from './middleware.ts';
export { getSetCookies, splitSetCookie } from './set-cookie.ts';
export { isNullBodyStatus } from './status.ts';
