/**
 * What the status page shows of each upstream server: requests in flight,
 * and over the last minute, per second, the exchanges and how many failed,
 * with the latest response times. Kept per process or isolate, only for an
 * edge with a status page.
 */
export class ServerStats {
  inFlight = 0;
  readonly #seconds = new Int32Array(60);
  readonly #failures = new Int32Array(60);
  /** The second each slot holds, so that a stale slot reads as empty. */
  readonly #stamps = new Float64Array(60);
  readonly #latencies = new Float64Array(512);
  #latencyCount = 0;

  /** An exchange began. */
  started(): void {
    this.inFlight++;
  }

  /** An exchange ended with a response head after `latency` ms, or failed. */
  ended(now: number, latency: number, failed: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const second = Math.floor(now / 1000);
    const slot = second % 60;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#seconds[slot] = 0;
      this.#failures[slot] = 0;
    }
    this.#seconds[slot]!++;
    if (failed) this.#failures[slot]!++;
    else this.#latencies[this.#latencyCount++ % this.#latencies.length] = latency;
  }

  /** Requests a second over the last `window` seconds, the error rate over the last minute, and latency percentiles. */
  summary(now: number, window = 10): { rps: number; errorRate: number | null; p50: number | null; p95: number | null; p99: number | null } {
    const second = Math.floor(now / 1000);
    let recent = 0;
    let total = 0;
    let failed = 0;
    for (let age = 0; age < 60; age++) {
      const stamp = second - age;
      const slot = ((stamp % 60) + 60) % 60;
      if (this.#stamps[slot] !== stamp) continue;
      total += this.#seconds[slot]!;
      failed += this.#failures[slot]!;
      if (age < window) recent += this.#seconds[slot]!;
    }
    const kept = Math.min(this.#latencyCount, this.#latencies.length);
    const sorted = Array.from(this.#latencies.subarray(0, kept)).sort((a, b) => a - b);
    const at = (q: number): number | null => (kept === 0 ? null : Math.round(sorted[Math.min(kept - 1, Math.floor(q * kept))]! * 10) / 10);
    return { rps: Math.round((recent / window) * 10) / 10, errorRate: total === 0 ? null : failed / total, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

const statsByServer = new WeakMap<object, ServerStats>();

/** The stats of `server` (an upstream server's settings object), when its edge keeps them. */
export function statsOf(server: object): ServerStats | undefined {
  return statsByServer.get(server);
}

/** Start keeping stats for `server`. */
export function keepStats(server: object): ServerStats {
  let stats = statsByServer.get(server);
  if (stats === undefined) statsByServer.set(server, (stats = new ServerStats()));
  return stats;
}
