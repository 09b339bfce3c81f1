/**
 * How long to wait before respawning a worker that crashed: at once the
 * first time, then doubling while it keeps crashing soon after its start,
 * so that an App that cannot live does not fork hundreds of processes.
 */
export class Backoff {
  #failures = 0;
  readonly #base: number;
  readonly #max: number;
  /** A worker that lived this long before crashing is not in a loop. */
  readonly #stableAfter: number;

  constructor(base = 100, max = 10_000, stableAfter = 10_000) {
    this.#base = base;
    this.#max = max;
    this.#stableAfter = stableAfter;
  }

  /** Milliseconds to wait before the next start, given how long the last worker lived. */
  next(lived: number): number {
    if (lived >= this.#stableAfter) this.#failures = 0;
    const failures = this.#failures++;
    return failures === 0 ? 0 : Math.min(this.#max, this.#base * 2 ** (failures - 1));
  }
}
