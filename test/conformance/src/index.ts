/**
 * The conformance suite: one set of behaviours every Gatehouse runtime must show.
 *
 * @module
 */
export { describeConformance } from './suite.ts';
export type { RunningApp, Runtime } from './runtime.ts';
export { conformanceApp } from './app.ts';
