import * as TOML from '@iarna/toml';
import { ManifestError } from '../target-folder/manifest-error';
import { isRecord as isObject, parseManifest, restateClusters } from '../target-folder/restate-cluster';
import { type MetadataStore, type ValuesProblem } from '../values';

/** The storage fields of a RestateCluster that the API server will not let change freely. */
export interface ClusterStorage {
  readonly storageRequestBytes: number;
  readonly storageClassName?: string;
  /** Where the cluster keeps its metadata, read back from its config. */
  readonly metadataStore?: MetadataStore;
}

/**
 * What the API server would reject when `next` replaces `previous` (CEL rules of the 1.7.4 CRD):
 * `storageRequestBytes` may not decrease, `storageClassName` is immutable.
 */
export function storageChangeProblems(target: string, previous: ClusterStorage, next: ClusterStorage): ValuesProblem[] {
  const problems: ValuesProblem[] = [];
  if (next.storageRequestBytes < previous.storageRequestBytes) {
    problems.push({
      file: target,
      keyPath: 'storage.size',
      message:
        `shrinks the volumes from ${previous.storageRequestBytes} to ${next.storageRequestBytes} bytes; ` +
        'the RestateCluster CRD refuses a smaller storageRequestBytes (volumes can grow, never shrink). ' +
        'Keep the size, or delete and recreate the cluster and pass --allow-storage-change',
    });
  }
  if ((next.storageClassName ?? '') !== (previous.storageClassName ?? '')) {
    problems.push({
      file: target,
      keyPath: 'storage.storageClassName',
      message:
        `changes from ${JSON.stringify(previous.storageClassName ?? '(cluster default)')} to ${JSON.stringify(next.storageClassName ?? '(cluster default)')}; ` +
        'storageClassName is immutable on an existing RestateCluster. Keep it, or delete and recreate the cluster and pass --allow-storage-change',
    });
  }
  if (previous.metadataStore && next.metadataStore && previous.metadataStore !== next.metadataStore) {
    problems.push({
      file: target,
      keyPath: 'metadata.store',
      message:
        `changes from ${previous.metadataStore} to ${next.metadataStore}; that is a data migration, not a config flip: the existing ` +
        "cluster's metadata (partition table, logs, deployments) lives in its current store and would not move with it. " +
        'Follow "Moving metadata to object storage" in docs/object-storage-and-credentials.md (a new cluster), then pass --allow-storage-change',
    });
  }
  return problems;
}

/** Which metadata store a rendered server config uses. */
export function metadataStoreOf(configToml: string): MetadataStore {
  const client = (TOML.parse(configToml)['metadata-client'] ?? {}) as { type?: string };
  return client.type === 'object-store' ? 'object-store' : 'replicated';
}

/**
 * The storage of the RestateCluster in a committed cluster file (`label` names it: `HEAD:dist/dev/vultr/…`).
 * Anything but one well-formed RestateCluster (conflict markers, garbage, no `spec`) is a ManifestError naming the
 * file: a guard that cannot read what it guards must not pass.
 */
export function parseCommittedStorage(label: string, text: string): ClusterStorage {
  const fail = (message: string): never => {
    throw new ManifestError(
      label,
      '',
      `${message}; the storage guard cannot compare with it. Fix the committed file (resolve the merge, or re-run synth on the base branch), or pass --allow-storage-change`,
    );
  };
  const manifest = parseManifest(text);
  if (manifest.yamlError !== undefined) fail(`is not valid YAML (${manifest.yamlError})`);
  if (/^(<{7}|={7}|>{7})( |$)/m.test(text)) fail('holds merge conflict markers');
  const clusters = restateClusters(manifest.objects);
  if (clusters.length !== 1)
    fail(clusters.length === 0 ? 'holds no RestateCluster (kind: RestateCluster)' : `holds ${clusters.length} RestateClusters, not one`);
  const cluster = clusters[0]!;
  if (!isObject(cluster.spec)) fail('has a RestateCluster without spec');
  const storage = cluster.spec.storage;
  if (!isObject(storage) || !Number.isSafeInteger(storage.storageRequestBytes) || storage.storageRequestBytes < 0) {
    fail('has no whole-number spec.storage.storageRequestBytes');
  }
  if (storage.storageClassName !== undefined && typeof storage.storageClassName !== 'string')
    fail('has a spec.storage.storageClassName that is not a string');
  if (cluster.spec.config !== undefined && typeof cluster.spec.config !== 'string') fail('has a spec.config that is not a string');
  let metadataStore: MetadataStore;
  try {
    metadataStore = metadataStoreOf(cluster.spec.config ?? '');
  } catch (error) {
    return fail(`has a spec.config that is not valid TOML (${(error as Error).message.split('\n')[0]})`);
  }
  return { storageRequestBytes: storage.storageRequestBytes, storageClassName: storage.storageClassName, metadataStore };
}
