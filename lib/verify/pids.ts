import { readFileSync } from 'node:fs';

/** A PID that still names a process that has not exited (zombies and dead ones do not count). */
export function pidAlive(pid: number): boolean {
  try {
    return !/\)\s+[ZX]\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * For signal handlers, where nothing async runs any more: SIGKILLs each PID and waits (bounded) until none is
 * running any more, so the folders they used can go.
 */
export function killAndWaitSync(pids: readonly number[], boundMs = 3000): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const until = Date.now() + boundMs;
  while (pids.some(pidAlive) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}
