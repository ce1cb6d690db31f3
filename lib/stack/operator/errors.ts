/**
 * Rendering the operator chart with `helm template` failed: helm is missing, or it exited non-zero
 * (no registry access, unknown version, bad values). Only the `helm` delivery runs helm at synth time.
 */
export class HelmRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelmRenderError';
  }
}
