/**
 * The recovery of a node that lost its volume, as data: what was measured on real binaries (1.7.12, three nodes,
 * the dev/vultr config). A node restarted empty under its old name exits 1 with "Detected data loss for log-server
 * … Rejecting the join attempt" (a CrashLoopBackOff in Kubernetes) while the others keep serving. The cluster
 * takes it back once its old identity is retired: its log-server storage disabled (forced: the data is gone), its
 * metadata-server membership removed, the node removed, and the node restarted empty, when it joins under a new
 * node id (every partition led again ~40 s later). It works only while the logs were never trimmed.
 *
 * Two runners use it: `deploy recover` (each argv through `kubectl exec` into a healthy pod) and the volume-loss
 * scenario of `npm run verify` (through the local restatectl). Neither adds steps of its own.
 */

/** One row of `restatectl sql --json`. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** What to wait for after a step: a query run again until its rows satisfy the condition, or the time runs out. */
export interface RecoverWait {
  /** What is awaited, for the user ("the storage state of N3 is disabled"). */
  readonly description: string;
  /** The `restatectl sql` query to repeat. */
  readonly sql: string;
  /** Whether the rows show the awaited state. */
  readonly satisfied: (rows: readonly SqlRow[]) => boolean;
  /** How long to wait before giving up, in seconds (the measured time with a wide margin for a loaded node). */
  readonly timeoutSeconds: number;
}

/** A `restatectl` invocation (argv without the program name and without an address: the runner adds those). */
export interface RestatectlStep {
  readonly kind: 'restatectl';
  /** What the step does and why, one sentence. */
  readonly summary: string;
  readonly argv: readonly string[];
  readonly waitFor?: RecoverWait;
}

/**
 * Start the lost node again, on an empty volume, under its old name. It joins as a new node id. In Kubernetes:
 * delete the pod's claim and the pod, and the StatefulSet creates both anew (an empty volume, whatever the
 * crash-looping pod left on the old one); locally: an empty base dir.
 */
export interface RestartStep {
  readonly kind: 'restart';
  readonly summary: string;
  /** The node (= pod) name to restart. */
  readonly nodeName: string;
  readonly waitFor: RecoverWait;
}

export type RecoverStep = RestatectlStep | RestartStep;

/** The lost node, by the two names Restate knows it by. */
export interface LostNode {
  /** Its name: the pod name in Kubernetes (`restate-2`), `RESTATE_NODE_NAME`. */
  readonly name: string;
  /** Its old plain node id as the cluster lists it (`N3`), from {@link nodeIdQuery}. */
  readonly id: string;
}

/** The first line of the log of a node that lost its data and is refused by the cluster, and the second half of it. */
export const DATA_LOSS_LOG = /Detected data loss for log-server[\s\S]*?Rejecting the join attempt/;

/** Finds the node ids registered under a node name (the lost one is still listed under its old id). */
export function nodeIdQuery(name: string): string {
  return `SELECT plain_node_id, name, storage_state FROM nodes WHERE name = '${sqlString(name)}'`;
}

/** The plain node id (`N3`) in a row of {@link nodeIdQuery}, or undefined. */
export function nodeIdOf(row: SqlRow): string | undefined {
  const id = row.plain_node_id;
  if (typeof id === 'string' && /^N\d+$/.test(id)) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return `N${id}`;
  return undefined;
}

/** `read-write`, `ReadWrite` and `read_write` are one state. */
const sameState = (value: unknown, state: string): boolean =>
  typeof value === 'string' && value.replace(/[-_\s]/g, '').toLowerCase() === state.replace(/[-_\s]/g, '').toLowerCase();

/** The ordered recovery of `node`, each step with what to wait for after it. */
export function recoverSteps(node: LostNode): readonly RecoverStep[] {
  if (!/^N\d+$/.test(node.id)) throw new Error(`a plain node id such as N3 is needed, got ${JSON.stringify(node.id)}`);
  const byId = `SELECT plain_node_id, name, storage_state FROM nodes WHERE plain_node_id = '${node.id}'`;
  return [
    {
      kind: 'restatectl',
      summary: `Disable the log-server storage of ${node.id} (${node.name}), forced: its data is gone, so no log may count on it any more`,
      argv: ['nodes', 'set-storage-state', '--nodes', node.id, '--storage-state', 'disabled', '--force', '--yes'],
      waitFor: {
        description: `${node.id} has storage state disabled`,
        sql: byId,
        satisfied: (rows) => rows.length === 1 && sameState(rows[0]!.storage_state, 'disabled'),
        timeoutSeconds: 60,
      },
    },
    {
      kind: 'restatectl',
      summary: `Remove ${node.id} from the metadata cluster, so that the Raft majority no longer counts a member that will never return`,
      argv: ['metadata-server', 'remove-node', node.id, '--yes'],
      waitFor: {
        description: `${node.id} is no longer a metadata-server member`,
        sql: `SELECT plain_node_id, metadata_server_state FROM nodes WHERE plain_node_id = '${node.id}'`,
        satisfied: (rows) => rows.every((row) => !sameState(row.metadata_server_state, 'member')),
        timeoutSeconds: 60,
      },
    },
    {
      kind: 'restatectl',
      summary: `Remove ${node.id} from the cluster's nodes, freeing the name ${node.name} for a new node id`,
      argv: ['nodes', 'remove', '--nodes', node.id, '--yes'],
      waitFor: {
        description: `${node.id} is no longer listed`,
        sql: byId,
        satisfied: (rows) => rows.length === 0,
        timeoutSeconds: 60,
      },
    },
    {
      kind: 'restart',
      summary: `Start ${node.name} again on its empty volume: it joins under a new node id (measured: every partition led again ~40 s later)`,
      nodeName: node.name,
      waitFor: {
        description: `${node.name} is listed under a new node id`,
        sql: nodeIdQuery(node.name),
        satisfied: (rows) => rows.some((row) => nodeIdOf(row) !== undefined && nodeIdOf(row) !== node.id),
        timeoutSeconds: 180,
      },
    },
  ];
}

/** A node name inside a single-quoted SQL literal (pod names are DNS labels; this is belt and braces). */
function sqlString(text: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(text)) throw new Error(`not a node name: ${JSON.stringify(text)}`);
  return text;
}
