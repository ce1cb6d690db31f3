import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type ValuesProblem } from '../values';

/** The storage fields of a RestateCluster that the API server will not let change freely. */
export interface ClusterStorage {
  readonly storageRequestBytes: number;
  readonly storageClassName?: string;
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
  return problems;
}

/** The storage of the RestateCluster in an already synthesized target folder, if there is one. */
export function readSynthesizedStorage(targetFolder: string): ClusterStorage | undefined {
  const file = join(targetFolder, CLUSTER_FILE);
  if (!existsSync(file)) return undefined;
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const obj = doc.toJS();
    if (obj?.kind === 'RestateCluster') {
      return { storageRequestBytes: obj.spec.storage.storageRequestBytes, storageClassName: obj.spec.storage.storageClassName };
    }
  }
  return undefined;
}

/** The file of a target folder that holds the RestateCluster. */
export const CLUSTER_FILE = '0001-cluster.k8s.yaml';
