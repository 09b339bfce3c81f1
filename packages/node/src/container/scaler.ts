/**
 * When to add or retire a worker under idle scaling (uWSGI's "cheaper"
 * mode). Fed the container's cumulative busy time and request count at
 * every tick, it answers whether to grow, shrink or stay.
 */
export class IdleScaler {
  readonly #min: number;
  readonly #max: number;
  readonly #idleTimeout: number;
  #lastTime: number | undefined;
  #lastBusy = 0;
  #lastRequests = 0;
  #quietSince: number;

  constructor(min: number, max: number, idleTimeout: number, now: number) {
    this.#min = min;
    this.#max = max;
    this.#idleTimeout = idleTimeout;
    this.#quietSince = now;
  }

  /**
   * `busy`: milliseconds any worker spent with a request in flight, summed
   * over workers, since the start; `requests`: requests received since the
   * start; `workers`: how many serve now.
   */
  sample(now: number, workers: number, busy: number, requests: number): 'up' | 'down' | undefined {
    const last = this.#lastTime;
    const busyDelta = busy - this.#lastBusy;
    const requestDelta = requests - this.#lastRequests;
    this.#lastTime = now;
    this.#lastBusy = busy;
    this.#lastRequests = requests;
    if (last === undefined || now <= last) return undefined;

    if (requestDelta > 0 || busyDelta > 0) this.#quietSince = now;
    // Every worker had a request in flight most of the time: add one.
    const utilisation = busyDelta / (now - last) / workers;
    if (utilisation >= 0.8 && workers < this.#max) return 'up';
    if (workers > this.#min && now - this.#quietSince >= this.#idleTimeout) {
      // One step down per idle period.
      this.#quietSince = now;
      return 'down';
    }
    return undefined;
  }
}
