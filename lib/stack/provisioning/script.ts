import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressArgs, wholeArg } from '../script-args';

/**
 * The one provisioning script (POSIX sh). The `provision` task pipes it into `sh -s` on restate-0, the
 * in-cluster Job mounts it from a ConfigMap, and verify and the tests run it locally with the npm restatectl.
 */
export const PROVISION_SCRIPT_PATH = join(__dirname, 'provision.sh');

/** File name of the script, also its key in the Job's ConfigMap. */
export const PROVISION_SCRIPT_NAME = 'provision.sh';

/** Exit statuses of the script. */
export const ProvisionExit = {
  /**
   * The cluster is provisioned: by this run, and then it also serves (every pod a metadata member, every
   * partition led by a live node); or before this run (`restatectl status` exits 0; reported at once).
   */
  OK: 0,
  /** Not provisioned, or provisioned but not serving, within the deadline; the reason is on stderr. */
  FAILED: 1,
  /** Bad arguments, or restatectl rejected them. */
  USAGE: 2,
  /** `restatectl` is not on PATH. */
  NO_RESTATECTL: 3,
} as const;

/** The script's text, as shipped in the ConfigMap and piped into `kubectl exec`. */
export function provisionScript(): string {
  return readFileSync(PROVISION_SCRIPT_PATH, 'utf8');
}

export interface ProvisionScriptOptions {
  /**
   * Fabric address(es) of the node(s) to provision through, e.g. `http://restate-0.restate-cluster:5122`.
   * @default - `$RESTATECTL_ADDRESS` where the script runs, else http://127.0.0.1:5122 (inside a Restate pod)
   */
  readonly address?: string | readonly string[];
  /**
   * Give up after this many seconds, counted from the script's start.
   * @default 300 (the script's default)
   */
  readonly deadlineSeconds?: number;
  /**
   * Seconds between failed attempts.
   * @default 5 (the script's default)
   */
  readonly intervalSeconds?: number;
  /**
   * Partitions to create.
   * @default - the contacted node's `default-num-partitions`
   */
  readonly numPartitions?: number;
  /**
   * Replication of logs and partitions: a node count or a property such as `{zone: 2, node: 3}`.
   * @default - the contacted node's `default-replication`
   */
  readonly replication?: number | string;
  /**
   * Pods `restate-0..N-1` that must all be metadata members before a first provisioning counts as done.
   * @default - every node in the cluster's nodes configuration
   */
  readonly replicas?: number;
  /**
   * Afterwards, make the cluster's log and partition replication this (`restatectl config set`) when it has
   * another: `default-replication` applies only at provisioning. A no-op when the cluster has it already.
   * @default - leave the replication as it is
   */
  readonly ensureReplication?: number | string;
  /**
   * On a cluster provisioned before, too, wait until it serves (every pod a metadata member, every partition led
   * by a live node): the gate after a rollout, which `Ready` (the pods' `/health`) is not.
   * @default false - a cluster provisioned before is reported at once
   */
  readonly waitServing?: boolean;
}

function replicationArg(name: string, r: number | string): string {
  if (typeof r === 'number' ? !Number.isInteger(r) || r < 1 : !/^\{[^{}]+\}$/.test(r)) {
    throw new Error(`${name} must be a node count (at least 1) or a property like "{node: 2}" (got ${JSON.stringify(r)})`);
  }
  return String(r);
}

/** The script's argument list for these options; options left out are not passed (the script's defaults apply). */
export function provisionScriptArgs(options: ProvisionScriptOptions = {}): string[] {
  const args = addressArgs(options.address);
  if (options.deadlineSeconds !== undefined) args.push('--deadline', wholeArg('deadlineSeconds', options.deadlineSeconds, 1, 'seconds'));
  if (options.intervalSeconds !== undefined) args.push('--interval', wholeArg('intervalSeconds', options.intervalSeconds, 1, 'seconds'));
  if (options.numPartitions !== undefined) {
    if (!Number.isInteger(options.numPartitions) || options.numPartitions < 1 || options.numPartitions > 65535) {
      throw new Error(`numPartitions must be a whole number from 1 to 65535 (got ${options.numPartitions})`);
    }
    args.push('--num-partitions', String(options.numPartitions));
  }
  if (options.replication !== undefined) args.push('--replication', replicationArg('replication', options.replication));
  if (options.replicas !== undefined) {
    if (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 1000) {
      throw new Error(`replicas must be a whole number from 1 to 1000 (got ${options.replicas})`);
    }
    args.push('--replicas', String(options.replicas));
  }
  if (options.ensureReplication !== undefined)
    args.push('--ensure-replication', replicationArg('ensureReplication', options.ensureReplication));
  if (options.waitServing) args.push('--wait-serving');
  return args;
}
