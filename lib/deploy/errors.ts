/**
 * A deploy step that could not be done, with what to do about it. The command-line entry prints the message
 * and exits non-zero; nothing else is thrown on purpose.
 */
export class DeployError extends Error {
  /** Exit status of the command line: 2 for usage mistakes, 1 for everything else. */
  public readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'DeployError';
    this.exitCode = exitCode;
  }
}
