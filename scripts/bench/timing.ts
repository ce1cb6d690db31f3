import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A command the benchmark runs and times. */
export interface Command {
  /** Short name used in the output. */
  readonly name: string;
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Runs before each timed run, untimed (e.g. to empty a cache folder). */
  readonly before?: () => void;
  /** Sees the output (stdout then stderr) of each run. */
  readonly onOutput?: (output: string) => void;
}

/** Environment for every timed command: no update checks, nothing that would reach the network. */
export const QUIET_ENV: Readonly<Record<string, string>> = {
  CDK8S_CHECK_UPGRADE: 'false',
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  NPM_CONFIG_FUND: 'false',
  NPM_CONFIG_AUDIT: 'false',
};

/** Runs `command` once; returns its wall time in milliseconds. A failed run aborts the benchmark. */
export function timeOnce(command: Command): number {
  const run = runTimed(command);
  if (run.status !== 0) {
    throw new Error(`${command.name} failed (${run.failure}): ${command.program} ${command.args.join(' ')}\n${run.output}`);
  }
  return run.ms;
}

export interface TimedRun {
  readonly ms: number;
  /** Exit status; null when the command could not run or was killed. */
  readonly status: number | null;
  readonly failure?: string;
  /** stdout then stderr. */
  readonly output: string;
}

/** Runs `command` once and reports its wall time and outcome, whether it succeeded or not. */
export function runTimed(command: Command, timeoutMs = 120_000): TimedRun {
  command.before?.();
  const start = performance.now();
  const run = spawnSync(command.program, [...command.args], {
    cwd: command.cwd,
    env: { ...process.env, ...QUIET_ENV, ...command.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  });
  const ms = performance.now() - start;
  const failure = run.error?.message ?? (run.signal ? `killed by ${run.signal}` : run.status !== 0 ? `exit ${run.status}` : undefined);
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  command.onOutput?.(output);
  return { ms, status: run.error ? null : run.status, failure, output };
}

export interface Stats {
  readonly runs: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function stats(runs: readonly number[]): Stats {
  if (runs.length === 0) throw new Error('no runs');
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { runs, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * Runs every command once untimed (warm-up: disk cache, bundle cache), then `rounds` rounds in which each
 * command runs once, in the given order, so that a change in machine load hits all of them alike.
 */
export function alternate(commands: readonly Command[], rounds: number, progress: (line: string) => void): Map<string, Stats> {
  for (const command of commands) {
    progress(`warm-up: ${command.name}`);
    timeOnce(command);
  }
  const runs = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round++) {
    const line: string[] = [];
    for (const command of commands) {
      const ms = timeOnce(command);
      runs.get(command.name)!.push(ms);
      line.push(`${command.name} ${formatMs(ms)}`);
    }
    progress(`round ${round}/${rounds}: ${line.join(', ')}`);
  }
  return new Map([...runs].map(([name, times]) => [name, stats(times)]));
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
