import type { ContainerOptions } from '@gatehouse/node/container';

/**
 * What `gatehouse.config.ts` (or `.js`, `.mjs`) exports by default: the
 * project's tiers, read by `gatehouse dev` (and `build`), and the options of
 * `gatehouse start`, read before its command line, which wins. Relative
 * paths are taken from the config file's folder.
 */
export interface GatehouseConfig {
  /** The edge tier: a Worker, run in workerd by `gatehouse dev`, deployed by wrangler. */
  edge?: EdgeConfig;
  /** The origins behind the edge, by name. */
  origins?: Record<string, OriginConfig>;
  /**
   * Export conditions to resolve packages with, in dev and build, on every
   * tier: `['@gatehouse/source']` runs workspace packages from their sources.
   */
  conditions?: readonly string[];
  /** `gatehouse start`'s options. */
  start?: Omit<ContainerOptions, 'log' | 'app' | 'signal'> & { app?: string };
}

export interface EdgeConfig {
  /**
   * The Worker's wrangler config (`wrangler.toml`, `.json` or `.jsonc`): its
   * `main` is the edge's entry, its assets and vars are the edge's. Defaults
   * to `./wrangler.toml`.
   */
  wrangler?: string;
  /** The port `gatehouse dev` serves the edge on. Defaults to 8787. */
  port?: number;
}

/** An origin the edge proxies to: an App in the Node container, or a Lambda function. */
export type OriginConfig = NodeOriginConfig | LambdaOriginConfig;

interface OriginBase {
  /** The App's module: its default export, or its export named `app`. */
  entry: string;
  /**
   * The Worker var that tells the edge where this origin is (its pool's
   * servers). `gatehouse dev` sets it to the local origin's URL. Defaults to
   * `ORIGIN` when there is one origin; required with several.
   */
  edgeVar?: string;
  /** The port `gatehouse dev` serves it on. Defaults to a free one. */
  port?: number;
}

export interface NodeOriginConfig extends OriginBase {
  kind: 'node';
  /** Worker processes in `gatehouse dev`. Defaults to 1. */
  workers?: number;
  /**
   * Where it runs in production, comma-separated for several servers:
   * `gatehouse deploy` gives it to the edge under `edgeVar`.
   */
  url?: string;
}

export interface LambdaOriginConfig extends OriginBase {
  kind: 'lambda';
  /** The event source that fronts the function in `gatehouse dev`. Defaults to `'function-url'`. */
  source?: 'function-url' | 'http' | 'rest' | 'alb';
  /** The function's name on AWS. Defaults to `<package name>-<origin name>`. */
  functionName?: string;
  /** MB. Defaults to 512. */
  memorySize?: number;
  /** Seconds. Defaults to 30. */
  timeout?: number;
  /** Defaults to `'arm64'`. */
  architecture?: 'arm64' | 'x86_64';
  /** The execution role's ARN. Without one, `<functionName>-role` is found or made. */
  role?: string;
  /** The handler streams its response (`streamHandler`): the Function URL's invoke mode is then RESPONSE_STREAM. */
  stream?: boolean;
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
 *   edge: { wrangler: './wrangler.toml' },
 *   origins: { app: { kind: 'node', entry: './src/app.ts' } },
 *   start: { app: './src/app.ts', workers: 4, crons: ['0 * * * *'], timeout: 30_000 },
 * })
 * ```
 */
export function defineConfig(config: GatehouseConfig): GatehouseConfig {
  return config;
}
