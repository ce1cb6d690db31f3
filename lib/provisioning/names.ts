import type { NetworkPeer } from '../cluster';

/** Longest name a Job may have: the Job controller copies it into the `job-name` label of its pods. */
const MAX_JOB_NAME = 63;

export interface ProvisioningNames {
  /** Name of the Job, its ConfigMap and its ServiceAccount. */
  readonly job: string;
  /** Labels on the Job's pods; the NetworkPolicy peer selects exactly these. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** Names and pod labels of the provisioning step of one cluster. Pure. */
export function provisioningNames(clusterName: string): ProvisioningNames {
  const job = `${clusterName}-provision`;
  if (job.length > MAX_JOB_NAME) {
    throw new Error(`provisioning Job name "${job}" is longer than ${MAX_JOB_NAME} characters: shorten clusterName to at most ${MAX_JOB_NAME - '-provision'.length}`);
  }
  return {
    job,
    podLabels: {
      'app.kubernetes.io/name': 'restate-provision',
      'app.kubernetes.io/instance': clusterName,
    },
  };
}

/**
 * The NetworkPolicy peer that lets the provisioning pods, and nothing else in the operator namespace, reach
 * the cluster's fabric port 5122: pass it to the RestateCluster as `fabricPeers`
 * (`security.networkPeers.metrics`). Both selectors in one peer mean "these pods in that namespace".
 */
export function provisioningPeer(clusterName: string, operatorNamespace: string): NetworkPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': operatorNamespace } },
    podSelector: { matchLabels: { ...provisioningNames(clusterName).podLabels } },
  };
}
