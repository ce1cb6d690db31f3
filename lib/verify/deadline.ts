import { VerifyError } from './errors';

/** A point in time that every wait of a verify run respects. */
export class Deadline {
  /** A deadline `ms` milliseconds from now. */
  static in(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  constructor(public readonly at: number) {}

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.at;
  }

  /** The earlier of this deadline and one `ms` from now: a bound for one step within the whole run. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.at, Date.now() + ms));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One look at a condition: done with a value, or not yet, with the reason shown when time runs out. */
export type Probe<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly reason: string };

const PROGRESS_EVERY_MS = 5000;

/**
 * Probes until the condition holds, at most until the deadline; then fails with `what` and the last reason.
 * A probe that throws a VerifyError ends the wait with that error; any other error counts as "not yet", with
 * the error as its reason (restatectl failing while the cluster forms, for example).
 */
export async function pollUntil<T>(
  what: string,
  deadline: Deadline,
  intervalMs: number,
  probe: () => Promise<Probe<T>>,
  /** Told the latest observation every `PROGRESS_EVERY_MS` while waiting. */
  onWait?: (reason: string) => void,
): Promise<T> {
  const started = Date.now();
  let told = started;
  let reason = 'not checked yet';
  for (;;) {
    try {
      const result = await probe();
      if (result.done) return result.value;
      reason = result.reason;
    } catch (error) {
      if (error instanceof VerifyError) throw error; // definitive, e.g. a node exited: no point in waiting
      reason = (error as Error).message;
    }
    if (onWait && Date.now() - told >= PROGRESS_EVERY_MS) {
      told = Date.now();
      onWait(reason);
    }
    if (deadline.remainingMs() <= intervalMs) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw new VerifyError(`${what}: not reached within ${seconds} s; last observation: ${reason}`);
    }
    await sleep(intervalMs);
  }
}
