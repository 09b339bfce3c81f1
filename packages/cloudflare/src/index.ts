/**
 * Run any Gatehouse App as a Cloudflare Worker: requests, and cron
 * triggers when the App has `scheduled()`.
 *
 * @module
 */
export { worker, type GatehouseWorker } from './worker.ts';
export type { CloudflareContext } from './context.ts';
export { workersRateLimitStore, type RateLimitBinding } from './rate-limit-store.ts';
export { workersCacheStore, type WorkersCacheStoreOptions } from './cache-store.ts';
