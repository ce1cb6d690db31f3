import { ExitCode, UserError } from '../errors/user-error';

/**
 * A verify run could not do its job on this machine, or the cluster under test failed a check.
 * The message says what failed and, where there is one, what to do about it. Exits FAILED.
 */
export class VerifyError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.FAILED);
    this.name = 'VerifyError';
  }
}
