import type * as restate from '../../imports/operator-1.7.4/restate.dev';
import { clusterPodLabels } from '../target-folder/operator-names';
import type { StackValues } from '../values';

/** What the RestateCluster's `spec.compute` gets of the placement values. */
export interface ClusterPlacement {
  readonly affinity?: restate.RestateClusterSpecComputeAffinity;
  readonly tolerations?: restate.RestateClusterSpecComputeTolerations[];
  readonly nodeSelector?: Record<string, string>;
}

/** The weight of each spreadOver term (1…100); every key counts alike. */
export const SPREAD_WEIGHT = 100;

/**
 * The pods' placement: the user's affinity, tolerations and node selector as written, plus one *preferred* pod
 * anti-affinity term per `placement.spreadOver` key among the cluster's own pods (the labels the operator puts
 * on them). Preferred, never required: required anti-affinity leaves pods Pending on a single-node kind or any
 * cluster with fewer nodes (or zones) than replicas. Pure.
 */
export function clusterPlacement(values: Pick<StackValues, 'clusterName' | 'placement'>): ClusterPlacement {
  const { spreadOver = [], affinity, tolerations, nodeSelector } = values.placement ?? {};
  const spread = spreadOver.map((topologyKey) => ({
    weight: SPREAD_WEIGHT,
    podAffinityTerm: { labelSelector: { matchLabels: clusterPodLabels(values.clusterName) }, topologyKey },
  }));
  const anti = affinity?.podAntiAffinity;
  const preferred = [...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...spread];
  const podAntiAffinity =
    anti || spread.length > 0
      ? { ...anti, ...(preferred.length > 0 ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}) }
      : undefined;
  const merged = { ...affinity, ...(podAntiAffinity ? { podAntiAffinity } : {}) };
  return {
    ...(Object.keys(merged).length > 0 ? { affinity: merged as restate.RestateClusterSpecComputeAffinity } : {}),
    ...(tolerations && tolerations.length > 0 ? { tolerations: tolerations.map((t) => ({ ...t })) } : {}),
    ...(nodeSelector && Object.keys(nodeSelector).length > 0 ? { nodeSelector: { ...nodeSelector } } : {}),
  };
}
