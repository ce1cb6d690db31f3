import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { VerifyError } from './errors';
import { killAndWaitSync } from './pids';

/** How a process ended: its exit status, or the signal that ended it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcessProps {
  /** For messages: `restate-1`, `the S3 stand-in`. */
  readonly label: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Exactly the environment it gets. */
  readonly env: Readonly<Record<string, string>>;
  /** stdout and stderr are appended to this file. */
  readonly logFile: string;
  /**
   * Run as this uid (and gid).
   * @default the current user
   */
  readonly uid?: number;
}

/** `exit status 1` or `SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ?? `exit status ${exit.code}`;
}

/**
 * One child process of a verify run, the one way every server of the run (restate-server nodes, the S3
 * stand-in) is started and stopped: detached into its own process group (a Ctrl-C in the terminal reaches the
 * orchestrator, which stops it), output appended to its log file, stopped by its PID only, and waited for.
 */
export class ManagedProcess {
  public readonly pid: number;
  /** When it was started (epoch ms). */
  public readonly startedAt = Date.now();
  private readonly child: ChildProcess;
  private ended?: ProcessExit;
  private readonly gone: Promise<ProcessExit>;

  constructor(public readonly props: ManagedProcessProps) {
    const log = openSync(props.logFile, 'a');
    try {
      const ids = props.uid === undefined ? {} : { uid: props.uid, gid: props.uid };
      this.child = spawn(props.file, [...props.args], {
        cwd: props.cwd,
        env: { ...props.env },
        detached: true,
        stdio: ['ignore', log, log],
        ...ids,
      });
    } finally {
      closeSync(log);
    }
    if (this.child.pid === undefined) throw new VerifyError(`cannot start ${props.file} for ${props.label}`);
    this.pid = this.child.pid;
    this.gone = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.ended = { code, signal };
        resolve(this.ended);
      }),
    );
  }

  /** How it ended, once it has. */
  get exit(): ProcessExit | undefined {
    return this.ended;
  }

  running(): boolean {
    return this.ended === undefined;
  }

  /**
   * Sends `signal` by PID and waits until the process is gone. With SIGTERM (what the kubelet sends first),
   * it is SIGKILLed after `graceMs` if it is still there (the pod's termination grace period).
   */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', graceMs = 30_000): Promise<ProcessExit> {
    if (this.ended) return this.ended;
    process.kill(this.pid, signal);
    if (signal === 'SIGKILL') return this.gone;
    const timer = setTimeout(() => {
      if (!this.ended) process.kill(this.pid, 'SIGKILL');
    }, graceMs);
    try {
      return await this.gone;
    } finally {
      clearTimeout(timer);
    }
  }

  /** For signal handlers, where nothing async runs any more: SIGKILL by PID and wait (bounded). */
  stopSync(): void {
    if (!this.ended) killAndWaitSync([this.pid]);
  }
}
