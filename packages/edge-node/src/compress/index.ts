/**
 * Compression of the edge's answers on Node (gzip, brotli, zstd), as
 * nginx's `gzip on` does; on Workers, Cloudflare compresses.
 *
 * @module
 */
export { compress, compressibleType, type Coding, type CompressOptions } from './compress.ts';
