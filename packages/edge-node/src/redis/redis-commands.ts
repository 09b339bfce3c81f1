/**
 * What `redisCacheStore` and `redisConcurrencyStore` need of a Redis
 * client: `sendCommand(args, options)` as the `redis` package (node-redis
 * v5 and v6) has it, on a client of one server or a pool (a cluster's
 * takes other arguments: these stores do not run against a cluster). Any
 * client with this method will do.
 *
 * The commands sent: `HMGET`, `UNLINK`, `SCAN` and `EVAL` (the cache);
 * `EVAL` and `ZREM` (the concurrency counts).
 */
export interface RedisCommands {
  sendCommand(args: readonly (string | Buffer)[], options?: RedisCommandOptions): Promise<unknown>;
}

/** The options the stores pass with a command. */
export interface RedisCommandOptions {
  /**
   * `{ 36: Buffer }` when the reply's bulk strings must come back as
   * Buffers, byte for byte (36 is RESP's `$`, node-redis's
   * `RESP_TYPES.BLOB_STRING`): a cached body is bytes, not UTF-8 text.
   */
  readonly typeMapping?: { readonly 36?: BufferConstructor };
  /**
   * Milliseconds the command may wait to be sent. While node-redis
   * reconnects it queues commands; past this it drops them rather than
   * keep each (and a body with it) until Redis is back.
   */
  readonly timeout?: number;
}
