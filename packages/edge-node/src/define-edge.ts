import { type BodySpill, defineEdge as defineAnyEdge, type EdgeApp, type EdgeConfig } from '@gatehouse/edge';
import { fileSpill } from './file-spill.ts';
import { http1Transport } from './transport/http1-transport.ts';
import type { PooledTransport } from './transport/pooled-transport.ts';

/** The edge App on Node: an {@link EdgeApp} that can close the connections it keeps to its origins. */
export interface NodeEdgeApp<Env = {}> extends EdgeApp<Env> {
  /**
   * Close the idle upstream connections of the transport this edge made
   * for itself. A transport given in the config is its owner's to close.
   */
  close(): Promise<void>;
}

/**
 * `defineEdge` from `@gatehouse/edge`, for an edge served on Node: the
 * same config, with `http1Transport()` as the transport when none is
 * given. The edge's own default, `fetch`, is right on Workers, but Node's
 * fetch adds the fields the Fetch standard gives every request
 * (`Accept-Language: *`, `Sec-Fetch-Mode: cors`, `User-Agent: node`,
 * `Accept-Encoding`), so an origin behind it would see requests its
 * clients never sent. Through `http1Transport` it sees exactly the
 * client's end-to-end fields, Host and the edge's `X-Forwarded-*`, as
 * behind nginx, and by the fastest path this package has. And with
 * `fileSpill()` as the `bodySpill` when none is given: a route's
 * `buffering.requestFile` reads a body too long for memory into a temp
 * file in `os.tmpdir()`, as nginx does.
 *
 * @example
 * ```ts
 * import { defineEdge } from '@gatehouse/edge-node'
 * import { serve } from '@gatehouse/node'
 *
 * const edge = defineEdge({
 *   pools: { app: { servers: ['http://127.0.0.1:8001'] } },
 *   routes: { '/': { proxy: 'app' } },
 * })
 * const server = await serve(edge, { port: 8080 })
 * // on shutdown: await server.close(); await edge.close()
 * ```
 */
export function defineEdge<Env = {}>(config: EdgeConfig<Env> | ((env: Env) => EdgeConfig<Env>)): NodeEdgeApp<Env> {
  // One transport for every env the config is called with: its pool of
  // connections is per origin already.
  let made: PooledTransport | undefined;
  let spill: BodySpill | undefined;
  const withDefaults = (given: EdgeConfig<Env>): EdgeConfig<Env> =>
    given.transport !== undefined && given.bodySpill !== undefined
      ? given
      : { ...given, transport: given.transport ?? (made ??= http1Transport()), bodySpill: given.bodySpill ?? (spill ??= fileSpill()) };
  const edge = defineAnyEdge<Env>(typeof config === 'function' ? (env) => withDefaults(config(env)) : withDefaults(config));
  return Object.assign(edge, {
    async close(): Promise<void> {
      await made?.close();
    },
  });
}
