import { ExitCode, UserError } from '../errors/user-error';

/**
 * A deploy step that could not be done, with what to do about it. The command-line entry prints the message
 * and exits with its code (INVALID_INPUT for usage mistakes, FAILED for everything else); nothing else is thrown
 * on purpose.
 */
export class DeployError extends UserError {
  constructor(message: string, exitCode: ExitCode = ExitCode.FAILED) {
    super(message, exitCode);
    this.name = 'DeployError';
  }
}
