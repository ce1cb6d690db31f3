import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DeployError } from './errors';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** A file whose content becomes the command's standard input. @default - no input */
  readonly stdinFile?: string;
  /**
   * Bytes for the command's standard input, passed through a pipe and never written to a file (a decrypted
   * Secret). Not together with `stdinFile`.
   * @default - no input
   */
  readonly stdin?: Buffer;
  /**
   * Upper bound of the whole call; kubectl is killed after it. Needed even where kubectl has a `--timeout` of its
   * own: that one bounds a wait or a deletion, not connecting to or hearing back from the API server.
   * @default DEFAULT_CALL_TIMEOUT_SECONDS (300)
   */
  readonly timeoutSeconds?: number;
}

/** Bound of a kubectl call that sets none: an apply of every CRD through a slow link takes well under this. */
export const DEFAULT_CALL_TIMEOUT_SECONDS = 300;

/** What a call with a `--timeout` of its own may take on top of it (connecting, reporting). */
export const CALL_TIMEOUT_MARGIN_SECONDS = 60;

/** Runs kubectl with an argv from `./kubectl`. The only part of lib/deploy that starts processes. */
export interface Kubectl {
  run(args: readonly string[], options?: RunOptions): RunResult;
}

/** Large enough for a server-side diff of the CRDs; spawnSync's default of 1 MiB is not. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** The real `kubectl`, found on PATH. */
export class KubectlProcess implements Kubectl {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly program = 'kubectl',
  ) {}

  run(args: readonly string[], options: RunOptions = {}): RunResult {
    if (options.stdin !== undefined && options.stdinFile !== undefined)
      throw new Error('RunOptions: stdin and stdinFile exclude each other');
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_CALL_TIMEOUT_SECONDS;
    const result = spawnSync(this.program, [...args], {
      env: this.env,
      encoding: 'utf8',
      input: options.stdin ?? (options.stdinFile === undefined ? undefined : readFileSync(options.stdinFile)),
      maxBuffer: MAX_OUTPUT_BYTES,
      timeout: timeoutSeconds * 1000,
      killSignal: 'SIGKILL',
    });
    if (result.error) {
      if ((result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        throw new DeployError(
          `${this.program} ${args.join(' ')} did not finish within ${timeoutSeconds} s and was stopped: it was waiting for the API server ` +
            'of that context to answer. Check that the cluster is reachable (VPN, kubeconfig) and run the command again.',
        );
      }
      if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DeployError(
          `${this.program} not found on PATH. Install kubectl (1.31 or later: promote uses \`kubectl wait --for=create\`), ` +
            'see https://kubernetes.io/docs/tasks/tools/',
        );
      }
      throw new DeployError(`could not run ${this.program}: ${result.error.message}`);
    }
    // A signal (e.g. Ctrl-C) leaves no status: report it as a failure, never as success.
    return { code: result.status ?? 128, stdout: result.stdout, stderr: result.stderr };
  }
}
