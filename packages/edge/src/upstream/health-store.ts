/**
 * Where passive and active health state lives. Per process on Node and per
 * isolate on Workers by default ({@link MemoryHealthStore}); a store shared
 * across isolates (a Durable Object) implements the same interface.
 *
 * Servers are named by their pool's health keys (`"<pool> <server id>"`),
 * so one store can serve several pools. Times are milliseconds since the
 * epoch, from the pool's clock.
 *
 * Every method may answer synchronously or with a Promise. The proxy waits
 * only for {@link HealthStore.down}, once per request; it does not wait for
 * the others (their promises go to `ctx.waitUntil`), so a remote store
 * should answer `down` from a local copy and write through in the
 * background.
 *
 * The rules, nginx's: `maxFails` failures, each within `failTimeout` of
 * the first of its streak, take a server down for `failTimeout`. Once that
 * has passed the server is tried again; one more failure takes it down at
 * once for another `failTimeout`, a success clears it.
 */
export interface HealthStore {
  /** Record a failed exchange with `server` at `now`. */
  fail(server: string, now: number, maxFails: number, failTimeout: number): void | Promise<void>;
  /**
   * Record a successful exchange: earlier failures are forgotten and the
   * server is up. Called after every successful exchange: keep it cheap
   * for a server with nothing recorded.
   */
  succeed(server: string, now: number): void | Promise<void>;
  /**
   * Mark `server` down from `now` until `until`, as a failed active check
   * does; `until` not after `now` is the same as {@link HealthStore.succeed}.
   */
  markDown(server: string, now: number, until: number): void | Promise<void>;
  /**
   * The servers that are down at `now`. Called once per request: return
   * the same (unchanged) set for as long as nothing changes.
   */
  down(now: number): ReadonlySet<string> | Promise<ReadonlySet<string>>;
}
