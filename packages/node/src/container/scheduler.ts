import { Cron } from 'croner';

/** The forms the READMEs document, said whenever an expression has another. */
const FIELDS = 'a cron expression has 5 fields, or 6 with seconds first';

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
      const fields = cron.trim().split(/\s+/).length;
      // croner also takes 7 fields (a year last): the documented forms are
      // 5 and 6, and croner's own message would promise the 7th.
      const nickname = fields === 1 && cron.trim().startsWith('@');
      if (!nickname && fields !== 5 && fields !== 6) throw new Error(`"${cron}" is not a cron expression: ${FIELDS}`);
      try {
        new Cron(cron, { paused: true }).stop();
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
        const detail = nickname
          ? FIELDS
          : `${reason.charAt(0).toLowerCase()}${reason.slice(1)}${fields === 6 ? ' (with 6 fields, the first is the seconds)' : ''}`;
        throw new Error(`"${cron}" is not a cron expression: ${detail}`, { cause: error });
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
