import * as TOML from '@iarna/toml';
import { isRecord, restateClusters } from '../../target-folder/restate-cluster';
import type { ManifestObject, TargetManifests } from './types';

/** The one RestateCluster of a target, or undefined (a target of another shape has nothing to compare). */
export function clusterOf(manifests: TargetManifests | undefined): ManifestObject | undefined {
  if (!manifests) return undefined;
  const clusters = restateClusters(manifests.objects);
  return clusters.length === 1 ? clusters[0] : undefined;
}

/** `spec.compute.replicas` (the CRD's default is 1). */
export function replicasOf(cluster: ManifestObject): number {
  const replicas = cluster.spec?.compute?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

/** `spec.compute.image`, or undefined. */
export function imageOf(cluster: ManifestObject): string | undefined {
  const image = cluster.spec?.compute?.image;
  return typeof image === 'string' ? image : undefined;
}

/** The server config the cluster ships, parsed; `{}` when it has none or it is not TOML. */
export function configOf(cluster: ManifestObject): Record<string, unknown> {
  const text = cluster.spec?.config;
  if (typeof text !== 'string') return {};
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * The nodes a `default-replication` needs: `2` → 2; `"{zone: 2, node: 3}"` → 3 (each copy on its own node);
 * `"{zone: 2}"` → 2. Undefined when the config does not set it (Restate's default is 1).
 */
export function replicationNodes(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value !== 'string') return undefined;
  const counts = [...value.matchAll(/(\w+)\s*:\s*(\d+)/g)].map((match) => Number(match[2]));
  return counts.length > 0 ? Math.max(...counts) : undefined;
}

/** Whether the manifests hold an object of this kind and name (any namespace). */
export function holds(manifests: TargetManifests | undefined, kind: string, name: string): boolean {
  return (manifests?.objects ?? []).some((object) => isRecord(object) && object.kind === kind && object.metadata?.name === name);
}
