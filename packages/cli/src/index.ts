/**
 * The `gatehouse` command, callable from code: `main(['start', './app.ts'])`
 * does what `gatehouse start ./app.ts` does and resolves with its exit code.
 *
 * @module
 */
export { main } from './main.ts';
export { formatStats } from './format-stats.ts';
export { defineConfig, type GatehouseConfig } from './config.ts';
