/**
 * The edge's access log on Node: a file, reopened on SIGUSR1.
 *
 * @module
 */
export { accessLogFile, type AccessLogFile } from './access-log-file.ts';
