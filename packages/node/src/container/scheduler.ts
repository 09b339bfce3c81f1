import { Cron } from 'croner';

/** Runs one scheduled task somewhere; settles when the run is over. */
export type Dispatch = (cron: string, scheduledTime: number) => Promise<void>;

/**
 * Fires each cron expression on time and hands the run to `dispatch`. A run
 * due while the previous run of the same expression is still going is
 * skipped, as uWSGI's cron does: piling runs up would only make a slow task
 * slower.
 */
export class Scheduler {
  runs = 0;
  failures = 0;
  skipped = 0;
  readonly #crons: readonly string[];
  readonly #dispatch: Dispatch;
  readonly #log: (line: string) => void;
  // Made by start(), not before: croner arms a timer for every job it
  // makes, even a paused one, and that timer alone keeps a process alive.
  #jobs: Cron[] = [];
  readonly #running = new Set<string>();

  constructor(crons: readonly string[], dispatch: Dispatch, log: (line: string) => void) {
    this.#crons = crons;
    this.#dispatch = dispatch;
    this.#log = log;
  }

  /** Throws, naming the expression, if one of `crons` is not a valid cron expression. */
  static validate(crons: readonly string[]): void {
    for (const cron of crons) {
      try {
        new Cron(cron, { paused: true }).stop();
      } catch (error) {
        throw new Error(`"${cron}" is not a cron expression: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    }
  }

  start(): void {
    if (this.#jobs.length > 0) return;
    this.#jobs = this.#crons.map((cron) => new Cron(cron, (self: Cron) => this.#fire(cron, self)));
  }

  stop(): void {
    for (const job of this.#jobs.splice(0)) job.stop();
  }

  #fire(cron: string, self: Cron): void {
    // When the run was due: cron's resolution is the second.
    const scheduledTime = Math.floor((self.currentRun() ?? new Date()).getTime() / 1000) * 1000;
    if (this.#running.has(cron)) {
      this.skipped++;
      this.#log(`cron "${cron}": the previous run is still going, this one is skipped`);
      return;
    }
    this.#running.add(cron);
    this.runs++;
    this.#dispatch(cron, scheduledTime)
      .catch((error: unknown) => {
        this.failures++;
        this.#log(`cron "${cron}": the run failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.#running.delete(cron));
  }
}
