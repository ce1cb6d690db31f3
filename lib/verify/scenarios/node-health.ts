import { probeLeaders } from '../cluster-checks';
import type { Probe } from '../deadline';
import type { Restatectl } from '../restatectl';

/** A node as the cluster lists it (`restatectl sql`, table `nodes`). */
export interface NodeRow {
  readonly plain_node_id: string;
  readonly gen_node_id: string;
  readonly name: string;
  readonly state: string;
}

/** The cluster's row of the node named `name` (the current generation), or undefined. */
export async function nodeRow(ctl: Restatectl, addresses: readonly string[], name: string): Promise<NodeRow | undefined> {
  const rows = await ctl.sql<NodeRow>(addresses, 'SELECT plain_node_id, gen_node_id, name, state FROM nodes');
  return rows.find((r) => r.name === name);
}

interface ReplicaSetRow {
  readonly partition_id: number;
  readonly current_replica_set: string | null;
}

interface ProcessorRow {
  readonly partition_id: number;
  readonly gen_node_id: string;
}

/**
 * Partition health after node `name` came back (the gate of a rolling change, instead of `/health`): the node is
 * listed alive under a generation other than `before` (so it is the new process, not a stale report), it runs an
 * active (caught-up) partition processor for every partition whose replica set names it, and every partition has
 * an active leader on a node not in `down`; with `minPartitions`, it is in at least that many replica sets.
 */
export async function probeNodeBack(
  ctl: Restatectl,
  addresses: readonly string[],
  options: {
    readonly name: string;
    readonly before?: string;
    readonly partitions: number;
    readonly down?: ReadonlySet<string>;
    /** Partition replica sets that must name the node (a new node takes partitions only after a while). @default 0 */
    readonly minPartitions?: number;
  },
): Promise<Probe<string>> {
  const node = await nodeRow(ctl, addresses, options.name);
  if (!node) return { done: false, reason: `${options.name} is not listed` };
  if (node.gen_node_id === options.before)
    return { done: false, reason: `${options.name} is still listed as its old generation ${node.gen_node_id}` };
  if (node.state.toLowerCase() !== 'alive') return { done: false, reason: `${options.name} (${node.gen_node_id}) is ${node.state}` };
  const token = new RegExp(`(^|[^0-9A-Za-z])${node.plain_node_id}([^0-9]|$)`);
  const sets = await ctl.sql<ReplicaSetRow>(addresses, 'SELECT partition_id, current_replica_set FROM partitions');
  const mine = sets.filter((p) => token.test(p.current_replica_set ?? '')).map((p) => p.partition_id);
  const active = await ctl.sql<ProcessorRow>(
    addresses,
    `SELECT partition_id, gen_node_id FROM partition_state WHERE gen_node_id = '${node.gen_node_id}' AND lower(replay_status) = 'active'`,
  );
  if (mine.length < (options.minPartitions ?? 0))
    return {
      done: false,
      reason: `${options.name} (${node.gen_node_id}) is in the replica set of ${mine.length} partitions, not yet ${options.minPartitions}`,
    };
  const running = new Set(active.map((r) => r.partition_id));
  const behind = mine.filter((id) => !running.has(id));
  if (behind.length > 0)
    return {
      done: false,
      reason: `${options.name} (${node.gen_node_id}) has ${mine.length - behind.length}/${mine.length} of its partition processors active`,
    };
  const leaders = await probeLeaders(ctl, addresses, options.partitions, options.down);
  if (!leaders.done) return leaders;
  return {
    done: true,
    value: `${options.name} back as ${node.gen_node_id}, ${mine.length} partition processors active, every partition led`,
  };
}
