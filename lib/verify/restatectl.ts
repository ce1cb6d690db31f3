import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit status; null when the command was killed (for example at its time limit). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command with a hard time limit, no stdin and exactly the given environment; never rejects. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: {
    readonly env: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    readonly cwd?: string;
    /** Run as this uid (and gid), e.g. an emulated pod's. @default the current user */
    readonly uid?: number;
  },
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      {
        env: { ...options.env },
        cwd: options.cwd,
        ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
        timeout: Math.max(1, options.timeoutMs),
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const killed = error !== null && (error.killed || error.signal !== null);
        resolve({
          code: killed ? null : code,
          stdout,
          stderr: killed ? `${stderr}\n(${file} killed after ${options.timeoutMs} ms)` : stderr,
          ms: Date.now() - started,
        });
      },
    );
    child.stdin?.end();
  });
}

/** Colour codes restatectl writes into its tables. */
const ANSI = /\u001b\[[0-9;]*m/g;

/** Text without terminal colour codes. */
export function plain(text: string): string {
  return text.replace(ANSI, '');
}

/** `restatectl` against a set of node addresses, with bounded calls. */
export class Restatectl {
  constructor(
    private readonly binary: string,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  run(addresses: readonly string[], args: readonly string[], timeoutMs = 15_000): Promise<CommandResult> {
    return runCommand(this.binary, ['--address', addresses.join(','), ...args], { env: this.env, timeoutMs });
  }

  /** `restatectl sql --json`: the rows, or an error with restatectl's own message. */
  async sql<Row>(addresses: readonly string[], query: string, timeoutMs = 15_000): Promise<Row[]> {
    const result = await this.run(addresses, ['sql', '--json', query], timeoutMs);
    if (result.code !== 0) throw new Error(`restatectl sql failed: ${lastLine(result.stderr || result.stdout)}`);
    const start = result.stdout.indexOf('[');
    if (start < 0) throw new Error(`restatectl sql printed no JSON: ${lastLine(result.stdout)}`);
    return JSON.parse(result.stdout.slice(start)) as Row[];
  }
}

/** The last non-empty line of a command's output, without colour codes: where restatectl puts its verdict. */
export function lastLine(text: string): string {
  const lines = plain(text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '(no output)';
}
