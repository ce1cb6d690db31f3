import type { S3Object } from './s3-stand-in';

/** One partition's part of a listing under a snapshot destination. */
export interface PartitionSnapshots {
  /** `<prefix>/<id>/latest.json` is there: Restate writes it after the snapshot's own files. */
  readonly latest: boolean;
  /** Snapshot folders (`lsn_…-snap_…`) and the file names in each. */
  readonly folders: ReadonlyMap<string, readonly string[]>;
}

/** What a listing under a snapshot destination holds, per partition. */
export interface SnapshotListing {
  readonly partitions: ReadonlyMap<number, PartitionSnapshots>;
  /** Objects under the prefix, and their total size. */
  readonly objects: number;
  readonly bytes: number;
  /** A few keys, for messages. */
  readonly sample: readonly string[];
}

/**
 * Groups a listing under a snapshot destination by partition. Restate keeps each partition's snapshots under
 * `<prefix>/<partition id>/`: one folder per snapshot (`lsn_<lsn>-<snapshot id>/` with `metadata.json` and the
 * RocksDB files) and the pointer `latest.json`.
 */
export function snapshotsByPartition(objects: readonly S3Object[], prefix: string): SnapshotListing {
  const base = prefix === '' ? '' : `${prefix}/`;
  const partitions = new Map<number, { latest: boolean; folders: Map<string, string[]> }>();
  let bytes = 0;
  let count = 0;
  const sample: string[] = [];
  for (const o of objects) {
    if (!o.key.startsWith(base)) continue;
    count++;
    bytes += o.size;
    if (sample.length < 4) sample.push(o.key);
    const parts = o.key.slice(base.length).split('/');
    if (parts.length < 2 || !/^\d+$/.test(parts[0])) continue;
    const id = Number(parts[0]);
    const entry = partitions.get(id) ?? { latest: false, folders: new Map<string, string[]>() };
    partitions.set(id, entry);
    if (parts.length === 2 && parts[1] === 'latest.json') entry.latest = true;
    if (parts.length >= 3) entry.folders.set(parts[1], [...(entry.folders.get(parts[1]) ?? []), parts.slice(2).join('/')]);
  }
  return { partitions, objects: count, bytes, sample };
}

/** The fields of a partition's `latest.json` that verify checks. */
interface LatestPointer {
  readonly partition_id?: unknown;
  readonly cluster_name?: unknown;
  readonly path?: unknown;
  readonly snapshot_id?: unknown;
  readonly node_name?: unknown;
}

/** The node that wrote a partition's `latest.json` (its `node_name`), when it says. */
export function latestWriter(text: string): string | undefined {
  try {
    const name = (JSON.parse(text) as LatestPointer).node_name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a partition's `latest.json` against the listing: it names this partition and this cluster, and the
 * snapshot folder it points to is there with its `metadata.json`. Returns the problem, or undefined.
 */
export function latestPointerProblem(text: string, partition: number, clusterName: string, listing: SnapshotListing): string | undefined {
  let latest: LatestPointer;
  try {
    latest = JSON.parse(text) as LatestPointer;
  } catch (error) {
    return `partition ${partition}: latest.json is not JSON (${(error as Error).message})`;
  }
  if (latest.partition_id !== partition)
    return `partition ${partition}: latest.json names partition ${JSON.stringify(latest.partition_id)}`;
  if (latest.cluster_name !== clusterName)
    return `partition ${partition}: latest.json names cluster ${JSON.stringify(latest.cluster_name)}, expected ${JSON.stringify(clusterName)}`;
  if (typeof latest.path !== 'string') return `partition ${partition}: latest.json has no snapshot path`;
  const files = listing.partitions.get(partition)?.folders.get(latest.path) ?? [];
  if (!files.includes('metadata.json'))
    return `partition ${partition}: latest.json points to ${latest.path}/, which holds no metadata.json (files: ${files.join(', ') || 'none'})`;
  return undefined;
}
