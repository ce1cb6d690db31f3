import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressArgs, wholeArg } from '../script-args';

/**
 * The one drain script (POSIX sh): the in-cluster drain Job mounts it from a ConfigMap, verify's scale-in
 * scenario runs it locally with the npm restatectl.
 */
export const DRAIN_SCRIPT_PATH = join(__dirname, 'drain.sh');

/** File name of the script, also its key in the Job's ConfigMap. */
export const DRAIN_SCRIPT_NAME = 'drain.sh';

/** Exit statuses of the script. */
export const DrainExit = {
  /** Every leaving node is drained: in no replica set, storage read-only, no metadata member (now or before). */
  OK: 0,
  /** A step did not reach its state within the deadline, or restatectl refused it; the reason is on stderr. */
  FAILED: 1,
  USAGE: 2,
  NO_RESTATECTL: 3,
} as const;

/** The script's text, as shipped in the ConfigMap. */
export function drainScript(): string {
  return readFileSync(DRAIN_SCRIPT_PATH, 'utf8');
}

export interface DrainScriptOptions {
  /** Replicas now: pods restate-0..from-1. */
  readonly from: number;
  /** Replicas after the scale-in: pods restate-to..from-1 are drained, highest first. */
  readonly to: number;
  /**
   * Fabric address(es) of nodes that stay.
   * @default - `$RESTATECTL_ADDRESS` where the script runs, else http://127.0.0.1:5122
   */
  readonly address?: string | readonly string[];
  /** @default 600 (the script's default) */
  readonly deadlineSeconds?: number;
  /** Seconds between two looks at a state. @default 2 (the script's default) */
  readonly intervalSeconds?: number;
}

/** The script's argument list for these options. */
export function drainScriptArgs(options: DrainScriptOptions): string[] {
  if (!(options.to < options.from)) throw new Error(`to (${options.to}) must be less than from (${options.from}): a drain removes nodes`);
  const args = ['--from', wholeArg('from', options.from, 2), '--to', wholeArg('to', options.to, 1), ...addressArgs(options.address)];
  if (options.deadlineSeconds !== undefined) args.push('--deadline', wholeArg('deadlineSeconds', options.deadlineSeconds, 1));
  if (options.intervalSeconds !== undefined) args.push('--interval', wholeArg('intervalSeconds', options.intervalSeconds, 1));
  return args;
}
