import { ExitCode, UserError } from '../../errors/user-error';

/**
 * Rendering the operator chart with `helm template` failed: helm is missing, or it exited non-zero
 * (no registry access, unknown version, bad values). Only the `helm` delivery runs helm at synth time. Exits FAILED.
 */
export class HelmRenderError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.FAILED);
    this.name = 'HelmRenderError';
  }
}
