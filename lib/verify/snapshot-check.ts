import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import type { SnapshotDestination } from './object-store';
import { lastLine, plain, type Restatectl } from './restatectl';
import type { S3StandIn } from './s3-stand-in';
import { latestPointerProblem, latestWriter, snapshotsByPartition } from './snapshot-layout';

/** Snapshots written to the local S3 stand-in. */
export interface SnapshotOutcome {
  readonly destination: string;
  /** The stand-in's endpoint inside the sandbox. */
  readonly endpoint: string;
  /** The partitions that were snapshotted; each one's latest snapshot is complete under the destination. */
  readonly partitions: readonly number[];
  /** The nodes that wrote them (`node_name` of each `latest.json`), sorted. */
  readonly writers: readonly string[];
  /** Objects under the destination, and their total size. */
  readonly objects: number;
  readonly bytes: number;
  /** One key, for the report. */
  readonly example: string;
  /** How long `restatectl snapshots create-snapshot` took. */
  readonly restatectlMs: number;
}

export interface SnapshotCheckInput {
  readonly ctl: Restatectl;
  readonly addresses: readonly string[];
  readonly store: S3StandIn;
  readonly destination: SnapshotDestination;
  /** The partitions to snapshot. */
  readonly partitions: readonly number[];
  /** RESTATE_CLUSTER_NAME of the nodes: every `latest.json` must name it. */
  readonly clusterName: string;
  readonly deadline: Deadline;
  readonly onWait?: (reason: string) => void;
}

/**
 * One partition per node, the lowest each one leads: snapshots are written by a partition's leader, so
 * snapshotting these has every node that leads anything talk to the store, at a fraction of the cost of all.
 */
export function onePartitionPerLeader(leaders: ReadonlyMap<number, readonly string[]>): number[] {
  const chosen = new Map<string, number>();
  for (const [id, names] of [...leaders.entries()].sort((a, b) => a[0] - b[0])) {
    for (const name of names) if (!chosen.has(name)) chosen.set(name, id);
  }
  return [...new Set(chosen.values())].sort((a, b) => a - b);
}

/**
 * Asks the cluster for a snapshot of the given partitions (`restatectl snapshots create-snapshot ID…`) and
 * checks that each one landed in the stand-in under the configured destination: the partition's
 * `latest.json` names this partition and cluster and points to a snapshot folder holding its `metadata.json`.
 */
export async function checkSnapshotsLand(input: SnapshotCheckInput): Promise<SnapshotOutcome> {
  const { destination, partitions, store } = input;
  if (partitions.length === 0) throw new VerifyError('no partition to snapshot');
  const timeoutMs = Math.max(1, Math.min(60_000, input.deadline.remainingMs()));
  const asked = await input.ctl.run(input.addresses, ['snapshots', 'create-snapshot', ...partitions.map(String)], timeoutMs);
  if (asked.code !== 0)
    throw new VerifyError(`restatectl snapshots create-snapshot exited ${asked.code}: ${lastLine(asked.stderr || asked.stdout)}`);
  const said = plain(asked.stdout + asked.stderr);
  const base = destination.prefix === '' ? '' : `${destination.prefix}/`;
  const listing = await pollUntil(
    `a snapshot of partitions ${partitions.join(', ')} in the stand-in under ${destination.url}`,
    input.deadline,
    250,
    async () => {
      const seen = snapshotsByPartition(await store.list(base), destination.prefix);
      const missing = partitions.filter((id) => !seen.partitions.get(id)?.latest);
      if (missing.length === 0) return { done: true, value: seen };
      return {
        done: false,
        reason: `no latest.json yet for partitions ${missing.join(', ')} (${seen.objects} objects, e.g. ${seen.sample[0] ?? 'none'}); restatectl said: ${lastLine(said)}`,
      };
    },
    input.onWait,
  );
  const writers = new Set<string>();
  for (const id of partitions) {
    const text = await store.read(`${base}${id}/latest.json`);
    const problem = latestPointerProblem(text, id, input.clusterName, listing);
    if (problem !== undefined)
      throw new VerifyError(`a snapshot under ${destination.url} is not what Restate should have written: ${problem}`);
    writers.add(latestWriter(text) ?? '(unnamed)');
  }
  return {
    destination: destination.url,
    endpoint: store.endpoint.url,
    partitions,
    writers: [...writers].sort(),
    objects: listing.objects,
    bytes: listing.bytes,
    example: listing.sample.find((k) => k.endsWith('metadata.json')) ?? listing.sample[0] ?? '',
    restatectlMs: asked.ms,
  };
}
