import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as TOML from '@iarna/toml';
import { CLUSTER_FILE } from '../target-files';
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
        'cluster\'s metadata (partition table, logs, deployments) lives in its current store and would not move with it. ' +
        'Follow "Moving metadata to object storage" in README.md (a new cluster), then pass --allow-storage-change',
    });
  }
  return problems;
}

/** Which metadata store a rendered server config uses. */
export function metadataStoreOf(configToml: string): MetadataStore {
  const client = (TOML.parse(configToml)['metadata-client'] ?? {}) as { type?: string };
  return client.type === 'object-store' ? 'object-store' : 'replicated';
}

/** The storage of the RestateCluster in an already synthesized target folder, if there is one. */
export function readSynthesizedStorage(targetFolder: string): ClusterStorage | undefined {
  const file = join(targetFolder, CLUSTER_FILE);
  if (!existsSync(file)) return undefined;
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const obj = doc.toJS();
    if (obj?.kind === 'RestateCluster') {
      return {
        storageRequestBytes: obj.spec.storage.storageRequestBytes,
        storageClassName: obj.spec.storage.storageClassName,
        metadataStore: metadataStoreOf(obj.spec.config ?? ''),
      };
    }
  }
  return undefined;
}
