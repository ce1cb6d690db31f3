/**
 * The exit statuses of every command: `npm run synth`, the deploy tasks (build, preview, promote, provision,
 * status), `npm run verify` and `npm run plan`. docs/ARCHITECTURE.md has the same table.
 */
export const ExitCode = {
  /** Done; for preview, status and verify also: nothing found wrong. */
  OK: 0,
  /** The command ran and failed, or found something wrong (a failed check, a cluster not ready, helm failed). */
  FAILED: 1,
  /** The input is wrong (arguments, values, targets, a synthesized or committed manifest that cannot be read back): nothing was done or written. */
  INVALID_INPUT: 2,
  /** Plan only: the targets change, and nothing is refused (a refused change is INVALID_INPUT, as in synth). */
  CHANGES: 3,
  /** Stopped by SIGINT or SIGTERM after stopping what it started (verify). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A failure the user can act on. The command-line edge prints its message (never a stack trace) and exits with
 * its `exitCode`; anything else that is thrown is a bug and exits FAILED with its stack.
 */
export class UserError extends Error {
  public readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
