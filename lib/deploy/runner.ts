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
}

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
    if (options.stdin !== undefined && options.stdinFile !== undefined) throw new Error('RunOptions: stdin and stdinFile exclude each other');
    const result = spawnSync(this.program, [...args], {
      env: this.env,
      encoding: 'utf8',
      input: options.stdin ?? (options.stdinFile === undefined ? undefined : readFileSync(options.stdinFile)),
      maxBuffer: MAX_OUTPUT_BYTES,
    });
    if (result.error) {
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
