/**
 * A verify run could not do its job on this machine, or the cluster under test failed a check.
 * The message says what failed and, where there is one, what to do about it.
 */
export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyError';
  }
}
