import { ExitCode, UserError } from '../errors/user-error';

/**
 * A synthesized or committed manifest that cannot be read back: missing, not YAML, merge conflict markers, or
 * not holding the objects the reader needs (one RestateCluster, one Job, …). The message names the file, the key
 * path when there is one, and what is wrong. Nothing is applied or written; exits INVALID_INPUT, like invalid values:
 * the remedy is to fix or re-synthesize the file, not to retry.
 */
export class ManifestError extends UserError {
  /** The file as shown to the user (relative path, or `HEAD:dist/…` for a committed one). */
  public readonly file: string;
  /** Dotted key path inside the object, e.g. `spec.compute.image`; empty for the whole file. */
  public readonly keyPath: string;
  /** What is wrong, without the file and key path. */
  public readonly problem: string;

  constructor(file: string, keyPath: string, problem: string) {
    super(keyPath ? `${file}: ${keyPath}: ${problem}` : `${file}: ${problem}`, ExitCode.INVALID_INPUT);
    this.name = 'ManifestError';
    this.file = file;
    this.keyPath = keyPath;
    this.problem = problem;
  }
}
