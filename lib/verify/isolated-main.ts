import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from './deadline';
import { prepareIsolatedNetwork } from './isolation';
import { POD_UID_BASE, podNeeds } from './pods';
import { assertPodsCanReach, openPathsForPods } from './pod-reach';

/** What the host side hands to a program it runs in the sandbox (see sandbox.ts). */
export interface SandboxJob<I> {
  /** A fresh folder of this run; the program keeps its files in it. */
  readonly workDir: string;
  /** Epoch milliseconds: the whole run ends by then. */
  readonly deadlineAt: number;
  /** Content for /etc/hosts inside the sandbox. */
  readonly hosts: string;
  readonly input: I;
}

/** What the program leaves in `<workDir>/result.json`. */
export type SandboxResult<O> = { readonly ok: true; readonly value: O } | { readonly ok: false; readonly error: string };

export const RESULT_FILE = 'result.json';

export interface IsolatedContext {
  readonly workDir: string;
  /** The run's global deadline. */
  readonly deadline: Deadline;
  /**
   * Registers a synchronous clean-up step, run in reverse order when the program ends for any reason,
   * including a signal or the deadline (so it must not need the event loop).
   */
  onExit(step: () => void): void;
  /** Writes a progress line to stderr. */
  progress(line: string): void;
}

/**
 * The main function of a program that runs inside the sandbox: checks that the namespaces are private,
 * brings loopback up, installs the hosts file, runs `body`, and always runs the clean-up steps and writes the
 * result, also on SIGINT/SIGTERM and at the deadline.
 */
export function isolatedMain<I, O>(body: (input: I, context: IsolatedContext) => Promise<O>): void {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as SandboxJob<I>;
  const steps: (() => void)[] = [];
  let finished = false;
  const finish = (result: SandboxResult<O>, code: number): void => {
    if (finished) return;
    finished = true;
    for (const step of steps.reverse()) {
      try {
        step();
      } catch (error) {
        process.stderr.write(`clean-up step failed: ${(error as Error).message}\n`);
      }
    }
    writeFileSync(join(job.workDir, RESULT_FILE), JSON.stringify(result));
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => finish({ ok: false, error: `interrupted (${signal}); every started process was stopped` }, 130));
  }
  const backstop = setTimeout(
    () => finish({ ok: false, error: 'the global deadline passed; every started process was stopped' }, 124),
    Math.max(0, job.deadlineAt - Date.now()),
  );
  backstop.unref();
  const context: IsolatedContext = {
    workDir: job.workDir,
    deadline: new Deadline(job.deadlineAt),
    onExit: (step) => steps.push(step),
    progress: (line) => process.stderr.write(`${line}\n`),
  };
  (async () => {
    prepareIsolatedNetwork(job.hosts, job.workDir);
    // The pods run as uids of their own, which may not pass the folders above the checkout (a 0700 home):
    // open those folders in this mount namespace only, then check that a pod's uid reaches what it needs.
    const opened = openPathsForPods([join(__dirname, '..', '..'), process.execPath, job.workDir]);
    if (opened.length > 0) context.progress(`opened for the pods' uids, in the sandbox only: ${opened.join(', ')}`);
    assertPodsCanReach(POD_UID_BASE, podNeeds());
    return body(job.input, context);
  })().then(
    (value) => finish({ ok: true, value }, 0),
    (error: Error) => finish({ ok: false, error: error.message }, 1),
  );
}
