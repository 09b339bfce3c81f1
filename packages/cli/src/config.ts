import type { ContainerOptions } from '@gatehouse/node/container';

/**
 * What `gatehouse.config.ts` (or `.js`, `.mjs`) exports by default: the
 * options of `gatehouse start`, read before the command line, which wins.
 * A relative `app` is taken from the config file's folder.
 */
export interface GatehouseConfig {
  start?: Omit<ContainerOptions, 'log' | 'app' | 'signal'> & { app?: string };
}

/**
 * Type the config file's default export.
 *
 * @example
 * ```ts
 * // gatehouse.config.ts
 * import { defineConfig } from '@gatehouse/cli'
 *
 * export default defineConfig({
 *   start: { app: './src/app.ts', workers: 4, crons: ['0 * * * *'], timeout: 30_000 },
 * })
 * ```
 */
export function defineConfig(config: GatehouseConfig): GatehouseConfig {
  return config;
}
