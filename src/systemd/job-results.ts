// Results of systemd jobs (the JobRemoved signal), matched to the calls that
// started them. The signal may overtake the reply that names the job, so a
// result that nobody waits for yet is kept while any job call is in flight
// (it may be that call's), and only then: nothing a caller will ask for is
// ever dropped, and other clients' jobs are not hoarded. Every wait has a
// timeout that names the unit.
import { SprocketError } from '../errors.js';

/** Every wait on systemd (a job, a unit state, readiness): past its own default start and stop timeouts (90 s), so that its verdict normally comes first. */
export const SYSTEMD_WAIT_MS = 120_000;

export class JobResults {
  private readonly waiting = new Map<string, (result: string) => void>();
  private readonly early = new Map<string, string>();
  private inFlight = 0;

  constructor(private readonly timeoutMs = SYSTEMD_WAIT_MS) {}

  /** systemd's JobRemoved signal: `job` ended with `result`. */
  removed(job: string, result: string): void {
    const resolve = this.waiting.get(job);
    if (resolve) {
      this.waiting.delete(job);
      resolve(result);
    } else if (this.inFlight > 0) {
      this.early.set(job, result);
    }
  }

  /** Early results kept now (for tests: bounded by the calls in flight). */
  get kept(): number {
    return this.early.size;
  }

  /** Runs `call`, which returns a job's object path, and resolves to the job's result. */
  async run(what: string, unit: string, call: () => Promise<string>): Promise<string> {
    this.inFlight++;
    let job: string;
    let early: string | undefined;
    try {
      job = await call();
      early = this.early.get(job);
      this.early.delete(job);
    } finally {
      if (--this.inFlight === 0) this.early.clear();
    }
    if (early !== undefined) return early;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(job);
        reject(new SprocketError('runtime', `${what}: job ${job} gave no result within ${this.timeoutMs / 1000} s`, {
          file: unit,
          hint: `see: systemctl status ${unit}; systemctl list-jobs`,
        }));
      }, this.timeoutMs);
      this.waiting.set(job, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }
}
