import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file in the output folder; `.synth-*` names are ignored by git. */
export const LOCK_FILE = '.synth-lock';

/** How long a second synth waits for the lock by default. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

const POLL_MS = 50;

/** Who holds the lock: enough to tell, on this host, whether that process still runs. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  /** The process's start time (Linux /proc), so that a reused pid is not taken for the holder. */
  readonly started?: string;
  readonly since: string;
}

/** The start time of a process in clock ticks since boot (Linux), or undefined where /proc does not say. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readHolder(file: string): { text: string; holder?: Holder } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const holder = JSON.parse(text) as Holder;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { text, holder } : { text };
  } catch {
    return { text };
  }
}

/** A holder on this host whose process is gone (or is another process under a reused pid) left a stale lock. */
function isStale(holder: Holder | undefined): boolean {
  if (!holder) return true; // we only ever create complete lock files (link of a written file): garbage is not ours
  if (holder.host !== hostname()) return false;
  if (!processRunning(holder.pid)) return true;
  return holder.started !== undefined && startTimeOf(holder.pid) !== undefined && startTimeOf(holder.pid) !== holder.started;
}

function holderText(holder: Holder | undefined): string {
  return holder ? `process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'an unreadable lock';
}

/**
 * An exclusive lock on an output folder, so that two synths never move target folders at the same time.
 * A second synth waits up to `waitMs`, then fails naming the holder; a lock whose holder is gone (killed) is
 * stale and taken over.
 */
export class OutputLock {
  private readonly file: string;
  private readonly text: string;

  private constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
  }

  static acquire(root: string, shown: string, waitMs: number = DEFAULT_LOCK_WAIT_MS): OutputLock {
    const file = join(root, LOCK_FILE);
    const holder: Holder = { pid: process.pid, host: hostname(), started: startTimeOf(process.pid), since: new Date().toISOString() };
    const text = `${JSON.stringify(holder)}\n`;
    // Written whole first, then linked into place: the lock file never exists half-written.
    const temporary = join(root, `${LOCK_FILE}.${process.pid}`);
    writeFileSync(temporary, text);
    try {
      const deadline = Date.now() + waitMs;
      for (;;) {
        try {
          linkSync(temporary, file);
          return new OutputLock(file, text);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const current = readHolder(file);
        if (current && isStale(current.holder)) {
          takeOver(file, current.text);
          continue;
        }
        if (Date.now() >= deadline) {
          throw new Error(
            `another synth is writing ${shown} (${holderText(current?.holder)}, lock ${join(shown, LOCK_FILE)}); waited ${waitMs >= 1000 ? `${Math.round(waitMs / 1000)} s` : `${waitMs} ms`}. ` +
              'Run again once it has finished',
          );
        }
        sleep(POLL_MS);
      }
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  /** Removes the lock if it is still ours. */
  release(): void {
    if (readHolder(this.file)?.text === this.text) unlinkSync(this.file);
  }
}

/**
 * Removes a stale lock. It is moved aside first (only one of several racing synths succeeds); if what was moved
 * is not the stale lock judged (another synth took over in between), it is put back.
 */
function takeOver(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  if (readFileSync(aside, 'utf8') !== staleText) {
    try {
      linkSync(aside, file);
    } catch {
      // a third synth holds it now; the one whose lock we moved keeps running unaware (three racing synths)
    }
  }
  unlinkSync(aside);
}
