import type { CacheStatus } from './cache-rules.ts';

/** Counts of a cache's answers by status, since the process or isolate started: the status page's hit ratio. */
export class CacheStats {
  readonly #counts: Record<CacheStatus, number> = { HIT: 0, MISS: 0, EXPIRED: 0, STALE: 0, UPDATING: 0, REVALIDATED: 0, BYPASS: 0 };

  count(status: CacheStatus): void {
    this.#counts[status]++;
  }

  /**
   * Each status's count, and the share of cacheable requests (all but
   * BYPASS) answered from the cache: HIT, REVALIDATED, UPDATING and STALE.
   */
  summary(): { readonly counts: Readonly<Record<CacheStatus, number>>; readonly hitRatio: number | null } {
    const counts = { ...this.#counts };
    const served = counts.HIT + counts.REVALIDATED + counts.UPDATING + counts.STALE;
    const cacheable = served + counts.MISS + counts.EXPIRED;
    return { counts, hitRatio: cacheable === 0 ? null : served / cacheable };
  }
}
