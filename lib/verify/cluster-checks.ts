import type { Probe } from './deadline';
import type { Restatectl } from './restatectl';

/** How the provisioned cluster must look, from the effective server config. */
export interface ExpectedLayout {
  /** `default-num-partitions`. */
  readonly partitions: number;
  /** Nodes in every partition's replica set: `default-replication`, or its `node:` part. */
  readonly replicaSetSize: number;
  /** Replication of every log as restatectl shows it, e.g. `{node: 2}`. */
  readonly logReplication: string;
}

const compact = (s: string): string => s.replace(/\s+/g, '');

/** The layout that `default-num-partitions` and `default-replication` of the effective config ask for. */
export function expectedLayout(effective: Readonly<Record<string, unknown>>): ExpectedLayout {
  const partitions = effective['default-num-partitions'];
  const replication = effective['default-replication'];
  if (typeof partitions !== 'number')
    throw new Error(`default-num-partitions is not a number in the effective config: ${JSON.stringify(partitions)}`);
  if (typeof replication === 'number') return { partitions, replicaSetSize: replication, logReplication: `{node: ${replication}}` };
  if (typeof replication === 'string') {
    const node = /node\s*:\s*(\d+)/.exec(replication);
    if (!node) throw new Error(`cannot read a node count from default-replication ${JSON.stringify(replication)}`);
    return { partitions, replicaSetSize: Number(node[1]), logReplication: replication };
  }
  throw new Error(`default-replication is missing from the effective config`);
}

interface PartitionRow {
  readonly partition_id: number;
  readonly current_replica_set: string | null;
}
interface LogRow {
  readonly log_id: number;
  readonly kind: string;
  readonly replication: string | null;
}
interface LeaderRow {
  readonly partition_id: number;
  readonly gen_node_id: string;
}
interface NodeRow {
  readonly gen_node_id: string;
  readonly name: string;
}

function sample(ids: readonly number[]): string {
  return ids.length <= 8 ? ids.join(', ') : `${ids.slice(0, 8).join(', ')}, … (${ids.length})`;
}

/** The partition table and the logs match the expected count and replication. */
export async function probeLayout(ctl: Restatectl, addresses: readonly string[], expected: ExpectedLayout): Promise<Probe<string>> {
  const partitions = await ctl.sql<PartitionRow>(addresses, 'SELECT partition_id, current_replica_set FROM partitions');
  if (partitions.length !== expected.partitions) {
    return { done: false, reason: `${partitions.length} partitions in the partition table, expected ${expected.partitions}` };
  }
  const wrongSet = partitions.filter(
    (p) => new Set((p.current_replica_set ?? '').split(',').filter(Boolean)).size !== expected.replicaSetSize,
  );
  if (wrongSet.length > 0) {
    const first = wrongSet[0];
    return {
      done: false,
      reason:
        `partitions ${sample(wrongSet.map((p) => p.partition_id))} do not have ${expected.replicaSetSize} nodes in their replica set ` +
        `(partition ${first.partition_id}: ${JSON.stringify(first.current_replica_set)})`,
    };
  }
  const logs = await ctl.sql<LogRow>(addresses, 'SELECT log_id, kind, replication FROM logs');
  const logIds = new Set(logs.map((l) => l.log_id));
  if (logIds.size !== expected.partitions)
    return { done: false, reason: `${logIds.size} logs, expected one per partition (${expected.partitions})` };
  const wrongLogs = logs.filter((l) => l.kind !== 'replicated' || compact(l.replication ?? '') !== compact(expected.logReplication));
  if (wrongLogs.length > 0) {
    const first = wrongLogs[0];
    return {
      done: false,
      reason: `logs ${sample(wrongLogs.map((l) => l.log_id))} are not replicated ${expected.logReplication} (log ${first.log_id}: ${first.kind} ${first.replication})`,
    };
  }
  return {
    done: true,
    value: `${partitions.length} partitions, each with ${expected.replicaSetSize} nodes in its replica set; ${logIds.size} logs, each replicated ${expected.logReplication}`,
  };
}

/**
 * The node names that report themselves leader of each partition, counting only leaders that have caught up
 * (`replay_status = active`). Right after a node dies its last report can linger, hence a list. The mode is
 * compared without case: 1.5.x reports `leader`, 1.7.x `Leader` (both seen live in the rolling-upgrade scenario).
 */
export async function activeLeaders(ctl: Restatectl, addresses: readonly string[]): Promise<Map<number, string[]>> {
  const nodes = await ctl.sql<NodeRow>(addresses, 'SELECT gen_node_id, name FROM nodes');
  const names = new Map(nodes.map((n) => [n.gen_node_id, n.name]));
  const rows = await ctl.sql<LeaderRow>(
    addresses,
    "SELECT partition_id, gen_node_id FROM partition_state WHERE lower(effective_mode) = 'leader' AND lower(replay_status) = 'active'",
  );
  const leaders = new Map<number, string[]>();
  for (const row of rows)
    leaders.set(row.partition_id, [...(leaders.get(row.partition_id) ?? []), names.get(row.gen_node_id) ?? row.gen_node_id]);
  return leaders;
}

/** Every partition has an active leader on a node that is not in `down`; the value is the leader map. */
export async function probeLeaders(
  ctl: Restatectl,
  addresses: readonly string[],
  partitions: number,
  down: ReadonlySet<string> = new Set(),
): Promise<Probe<Map<number, string[]>>> {
  const leaders = await activeLeaders(ctl, addresses);
  const missing: number[] = [];
  for (let id = 0; id < partitions; id++) {
    if (!(leaders.get(id) ?? []).some((name) => !down.has(name))) missing.push(id);
  }
  if (missing.length === 0) return { done: true, value: leaders };
  return {
    done: false,
    reason: `${partitions - missing.length}/${partitions} partitions have an active leader on a live node; without: ${sample(missing)}`,
  };
}

/** The node leading the most partitions (the lowest name on a tie): the hardest one to lose. */
export function busiestLeader(leaders: ReadonlyMap<number, readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const names of leaders.values()) for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
}
