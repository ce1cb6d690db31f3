import { spawnSync } from 'node:child_process';
import { DeployError } from './errors';

/** Decrypts a SOPS-encrypted file into memory. The plaintext is returned, never written or printed. */
export interface Sops {
  decrypt(file: string): Buffer;
}

/** `sops --decrypt FILE`: the plaintext on standard output, the format taken from the file name (.yaml). */
export function sopsDecryptArgs(file: string): string[] {
  return ['--decrypt', file];
}

/** Large enough for any Secret (the API server caps one at 1 MiB). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Where sops looks for an age identity, and the other ways to give it one (getsops.io, "age"). */
const KEY_HINT =
  'sops needs the private key the file is encrypted to: for age, SOPS_AGE_KEY_FILE=<path of keys.txt> (or SOPS_AGE_KEY, ' +
  'or the default $XDG_CONFIG_HOME/sops/age/keys.txt, ~/.config/sops/age/keys.txt on Linux); for a cloud KMS or PGP, ' +
  'credentials or a keyring that can use that key.';

/** How long decrypting one file may take, a KMS round trip included. */
export const SOPS_TIMEOUT_SECONDS = 60;

/** The real `sops`, found on PATH. */
export class SopsProcess implements Sops {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly program = 'sops',
    /** @default SOPS_TIMEOUT_SECONDS */
    private readonly timeoutSeconds = SOPS_TIMEOUT_SECONDS,
  ) {}

  decrypt(file: string): Buffer {
    // stdout as bytes: the plaintext stays a Buffer, never a string that could be logged by accident.
    const result = spawnSync(this.program, sopsDecryptArgs(file), {
      env: this.env,
      maxBuffer: MAX_OUTPUT_BYTES,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: this.timeoutSeconds * 1000,
      killSignal: 'SIGKILL',
    });
    if (result.error) {
      if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DeployError(
          `${this.program} not found on PATH: ${file} is SOPS-encrypted (objectStorage.credentials.source: sops) and promote ` +
            'decrypts it with the sops CLI. Install sops (https://github.com/getsops/sops/releases) and make the private key ' +
            'available to it, or create the Secret yourself and switch to objectStorage.credentials.source: existing-secret.',
        );
      }
      if ((result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        throw new DeployError(
          `${this.program} did not decrypt ${file} within ${this.timeoutSeconds} s and was stopped: it was waiting for its key ` +
            '(a cloud KMS that does not answer, or a PGP agent asking for a passphrase). Nothing was applied.',
        );
      }
      throw new DeployError(`could not run ${this.program}: ${result.error.message}`);
    }
    if (result.status !== 0) {
      // sops reports a failure without the plaintext (it has none to show): its words help, so they are shown.
      const said = result.stderr
        .toString('utf8')
        .trim()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(-6)
        .join('\n    ');
      throw new DeployError(
        `sops could not decrypt ${file} (exit ${result.status ?? 'by signal'}).\n` + (said ? `  sops: ${said}\n` : '') + `  ${KEY_HINT}`,
      );
    }
    return result.stdout;
  }
}
