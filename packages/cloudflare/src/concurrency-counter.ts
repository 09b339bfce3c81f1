import { DurableObject } from 'cloudflare:workers';

// The leases in SQLite storage rather than in the instance's memory: an
// object is evicted when idle and restarted by every deploy, and counts
// kept in memory would start again at 0 with requests still in flight
// (more than `max` let through). A key's leases are a few rows, read and
// written by one synchronous statement each, so `acquire` is atomic
// without a transaction: an object runs one call at a time.
const CREATE = `CREATE TABLE IF NOT EXISTS leases (
  key TEXT NOT NULL,
  lease TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (key, lease)
) WITHOUT ROWID`;

/**
 * The Durable Object that counts the `concurrency` rule's requests in
 * flight for every isolate of a Worker: export it from the Worker and bind
 * it (see `durableConcurrencyStore`). It holds, per key, one lease per
 * request, each with the time it expires on the object's own clock, so
 * that isolates whose clocks differ agree. A lease that is not renewed
 * (its isolate died, or lost the object) stops counting once it expires,
 * and an alarm removes it; once no lease is left the object's storage is
 * deleted, so an object per client costs nothing once its client is gone.
 */
export class ConcurrencyCounter extends DurableObject {
  /** Whether the table exists: the storage is deleted whole once empty, and most calls have nothing to do without it. */
  #ready: boolean = this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'leases'").toArray().length > 0;

  /** Take one of `max` places under `key` for `ttl` ms as `lease`: whether one was free. */
  async acquire(key: string, max: number, lease: string, ttl: number): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    if (!this.#ready) {
      sql.exec(CREATE);
      this.#ready = true;
    }
    const now = Date.now();
    sql.exec('DELETE FROM leases WHERE key = ? AND expires <= ?', key, now);
    const { held } = sql.exec<{ held: number }>('SELECT count(*) AS held FROM leases WHERE key = ?', key).one();
    if (held >= max) return false;
    sql.exec('INSERT INTO leases (key, lease, expires) VALUES (?, ?, ?)', key, lease, now + ttl);
    // One alarm at a time: when it rings it sweeps, and sets the next one at the earliest lease left.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + ttl);
    return true;
  }

  /**
   * Push `lease`'s expiry `ttl` ms on: whether it was still held. One that
   * expired stays expired, since its place may have been given out since.
   */
  renew(key: string, lease: string, ttl: number): boolean {
    if (!this.#ready) return false;
    const now = Date.now();
    return this.ctx.storage.sql.exec('UPDATE leases SET expires = ? WHERE key = ? AND lease = ? AND expires > ? RETURNING lease', now + ttl, key, lease, now).toArray().length > 0;
  }

  /** Give `lease` back (nothing when it has gone already). */
  release(key: string, lease: string): void {
    if (!this.#ready) return;
    this.ctx.storage.sql.exec('DELETE FROM leases WHERE key = ? AND lease = ?', key, lease);
  }

  /** Drop the expired leases of every key: those of isolates that will never give them back. */
  override async alarm(): Promise<void> {
    if (!this.#ready) return;
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM leases WHERE expires <= ?', Date.now());
    const { next } = sql.exec<{ next: number | null }>('SELECT min(expires) AS next FROM leases').one();
    if (next !== null) {
      await this.ctx.storage.setAlarm(next);
      return;
    }
    this.#ready = false;
    await this.ctx.storage.deleteAll();
  }
}
