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
  readonly #jobs: Cron[] = [];
  readonly #running = new Set<string>();

  constructor(crons: readonly string[], dispatch: Dispatch, log: (line: string) => void) {
    for (const cron of crons) {
      const job = new Cron(cron, { paused: true }, (self: Cron) => {
        // When the run was due: cron's resolution is the second.
        const scheduledTime = Math.floor((self.currentRun() ?? new Date()).getTime() / 1000) * 1000;
        if (this.#running.has(cron)) {
          this.skipped++;
          log(`cron "${cron}": the previous run is still going, this one is skipped`);
          return;
        }
        this.#running.add(cron);
        this.runs++;
        dispatch(cron, scheduledTime)
          .catch((error: unknown) => {
            this.failures++;
            log(`cron "${cron}": the run failed: ${error instanceof Error ? error.message : String(error)}`);
          })
          .finally(() => this.#running.delete(cron));
      });
      this.#jobs.push(job);
    }
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
    for (const job of this.#jobs) job.resume();
  }

  stop(): void {
    for (const job of this.#jobs) job.stop();
  }
}
