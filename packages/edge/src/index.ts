/**
 * The nginx of Gatehouse, as an App: routing, static files, a reverse
 * proxy to upstream pools. Runs unchanged on Workers and Node.
 *
 * @module
 */

// the edge App and its config
export { defineEdge, type EdgeApp } from './define-edge.ts';
export type { EdgeConfig, ProxyRoute, Route, RouteAction, Routes, SiteConfig, StaticRoute } from './edge-config.ts';
export { securityHeaders, type HttpsRules, type RouteRules } from './rules/route-rules.ts';
export type { CorsRules } from './rules/cors.ts';
export { hashPassword, type BasicAuthRules } from './rules/basic-auth.ts';
export { memoryRateLimitStore, type RateLimitDecision, type RateLimitRules, type RateLimitStore } from './rules/rate-limit.ts';
export { memoryConcurrencyStore, type ConcurrencyRules, type ConcurrencyStore } from './rules/concurrency-limit.ts';
export { addressMatcher, type AccessRule } from './rules/client-access.ts';
export type { AccessLogConfig } from './access-log/access-log.ts';
export type { StatusPageConfig } from './status/status-page.ts';

// the proxy cache and its stores
export { isResponseHead, type CacheEntry, type CacheStore, type StoredResponseHead, type VariantsHead } from './cache/cache-store.ts';
export { memoryCacheStore, type MemoryCacheStore, type MemoryCacheStoreOptions } from './cache/memory-cache-store.ts';

// proxy and upstream pools
export { createProxy, proxy, type ProxyApp } from './proxy/proxy.ts';
export type { ProxyBuffering, ProxyOptions } from './proxy/proxy-options.ts';
export type { BodySpill, SpillFile } from './proxy/body-spill.ts';
export { isIdempotent } from './proxy/idempotent.ts';
export { takeReadAheadBody } from './proxy/_buffering.ts';
export { createPool, Pool, type RetrySettings, type UpstreamServer } from './upstream/pool.ts';
export type {
  AppServerConfig,
  Balance,
  BindingServerConfig,
  HealthCheckConfig,
  PoolConfig,
  RetryCondition,
  RetryConfig,
  ServerConfig,
  ServerSettings,
  UrlServerConfig,
} from './upstream/pool-config.ts';
export type { HealthStore } from './upstream/health-store.ts';
export { MemoryHealthStore } from './upstream/memory-health-store.ts';
export {
  ClientTimeoutError,
  failureOfCode,
  isClientTimeout,
  isTransportError,
  readClientBody,
  TransportError,
  type Transport,
  type TransportFailure,
  type TransportOptions,
  type UpstreamRequest,
} from './upstream/transport.ts';
export { fetchTransport } from './upstream/fetch-transport.ts';
export { checkPool, startHealthChecks, type HealthCheckOptions, type HealthReport } from './upstream/health-check.ts';

// static
export { safePath } from './static/safe-path.ts';
export {
  createStaticHandler,
  type FilePlan,
  type FileRequestHead,
  type PrecompressedEncoding,
  type StaticHandler,
  type StaticOptions,
} from './static/static-handler.ts';
export { defaultCacheControl, hasContentHash } from './static/cache-control.ts';
export { negotiateEncoding } from './static/_accept-encoding.ts';
export { assetsBinding, type AssetsBindingOptions, type AssetsFetcher } from './static/assets-binding.ts';
export type { Asset, AssetBody, AssetStore, ByteRange } from './static/asset-store.ts';
