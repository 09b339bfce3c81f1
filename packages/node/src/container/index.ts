/**
 * The application container: an App in worker processes that share one
 * port, with reload, timeouts, recycling, idle scaling and cron.
 *
 * @module
 */
export { ContainerError, startContainer } from './supervisor.ts';
export type { Container, ContainerOptions, ContainerStats, WorkerStats } from './settings.ts';
