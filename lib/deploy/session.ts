import { DeployError } from './errors';
import { waitArgs } from './kubectl';
import { CALL_TIMEOUT_MARGIN_SECONDS, type Kubectl, type RunOptions, type RunResult } from './process';
import { isUnreachable, unreachableHint } from './unreachable';
import type { Wait } from './waits';

/** Where progress goes: `info` to standard output, `warn` to standard error. */
export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
}

/** Writes progress to the process's standard streams. */
export const consoleReporter: Reporter = {
  info: (line) => process.stdout.write(`${line}\n`),
  warn: (line) => process.stderr.write(`${line}\n`),
};

/** Where polling waits read the time and pause between two looks. */
export interface WaitClock {
  /** Milliseconds, as Date.now(). */
  now(): number;
  /** Blocks the (synchronous) deploy run for `ms`. */
  sleep(ms: number): void;
}

/** The wall clock: what every command uses. */
export const WALL_CLOCK: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  },
};

/** How often polling waits look and speak, and by which clock. */
export interface WaitTiming {
  /** Pause between two looks. */
  readonly pollMs: number;
  /** The longest a polling wait stays silent when nothing changes. */
  readonly progressMs: number;
  /**
   * The time the deadlines are measured in. The tests pass a clock whose pauses pass at once, so that a wait on a
   * stand-in that never reaches the awaited state ends at its deadline in moments, with the real message.
   */
  readonly clock: WaitClock;
}

export const DEFAULT_WAIT_TIMING: WaitTiming = { pollMs: 2_000, progressMs: 10_000, clock: WALL_CLOCK };

/** kubectl's answer to a condition wait on an object whose `status.conditions` is null (not yet written). */
const CONDITIONS_NOT_WRITTEN = /\.status\.conditions accessor error: <nil> is of the type <nil>/;

/** kubectl's answer to a wait on an object that does not exist (now). */
const NOT_FOUND = /\(NotFound\)/;

/**
 * Whether a failed wait is a passing moment to look at again rather than an answer:
 * - `status.conditions` still null: a CRD between its creation and the API server's first status write (seen on a
 *   real kube-apiserver 1.37; kubectl's ConditionalWait reads the field with NestedSlice, which refuses null);
 * - the object gone, on a wait for its state after a wait for its creation: a StatefulSet's rolling update deletes
 *   a pod and creates it again under the same name, and a wait that starts in between finds nothing (seen on the
 *   real StatefulSet controller, "the next image" promote). A wait for creation never gets here: it waits by itself.
 */
function momentary(wait: Wait, stderr: string): boolean {
  return CONDITIONS_NOT_WRITTEN.test(stderr) || (wait.condition !== 'create' && NOT_FOUND.test(stderr));
}

/** One run against one kube context: the kubectl to call, where progress goes. */
export class Session {
  constructor(
    public readonly kubectl: Kubectl,
    /** Named by every kubectl call (`--context`). */
    public readonly context: string,
    public readonly report: Reporter,
    public readonly timing: WaitTiming = DEFAULT_WAIT_TIMING,
    /** The deploy command, named in what to run again (`promote`). */
    public readonly command = 'the command',
  ) {}

  run(args: readonly string[], options?: RunOptions): RunResult {
    return this.kubectl.run(args, options);
  }

  /** Runs a command that must succeed; on failure throws with `what` and kubectl's own message. */
  must(what: string, args: readonly string[], options?: RunOptions): RunResult {
    const result = this.run(args, options);
    if (result.code !== 0) {
      const said = result.stderr || result.stdout;
      const hint = isUnreachable(said) ? `\n${unreachableHint(this.context, `${what} was not done`, this.command)}` : '';
      throw new DeployError(`${what} failed (kubectl exit ${result.code}):\n${indent(said)}${hint}`);
    }
    return result;
  }

  /** One bounded `kubectl wait`; on failure, the message names the object and the likely cause. */
  wait(wait: Wait, timeoutSeconds: number, step = '...'): void {
    this.report.info(`${step} waiting up to ${timeoutSeconds}s for ${wait.description}`);
    const { clock } = this.timing;
    const deadline = clock.now() + timeoutSeconds * 1000;
    let left = timeoutSeconds;
    let result = this.run(waitArgs(this.context, wait, left), { timeoutSeconds: left + CALL_TIMEOUT_MARGIN_SECONDS });
    // kubectl fails at once, instead of waiting, in a few passing states (`momentary`): look again until the deadline.
    while (result.code !== 0 && momentary(wait, result.stderr)) {
      clock.sleep(this.timing.pollMs);
      left = Math.ceil((deadline - clock.now()) / 1000);
      if (left <= 0) break;
      result = this.run(waitArgs(this.context, wait, left), { timeoutSeconds: left + CALL_TIMEOUT_MARGIN_SECONDS });
    }
    if (result.code === 0) return;
    const said = (result.stderr || result.stdout).trim();
    // kubectl words a timeout differently per --for kind ("timed out waiting for the condition", a context
    // deadline); anything else (no such resource type, forbidden, no connection) failed before waiting.
    const timedOut = /timed out|deadline exceeded/i.test(said) || momentary(wait, said);
    throw new DeployError(
      (timedOut
        ? `timed out after ${timeoutSeconds}s waiting for ${wait.description}.\n  likely cause: ${wait.likelyCause}\n`
        : `could not wait for ${wait.description} (kubectl exit ${result.code}).\n`) +
        `  kubectl: ${said.split('\n').join('\n    ')}\n` +
        (timedOut
          ? '  When it is only slow, run promote again (every step is idempotent), with a larger --timeout if needed.'
          : isUnreachable(said)
            ? `  ${unreachableHint(this.context, 'nothing was awaited', this.command)}`
            : '  Fix what kubectl reports and run promote again (every step is idempotent).'),
    );
  }
}

export function indent(text: string, prefix = '    '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}
