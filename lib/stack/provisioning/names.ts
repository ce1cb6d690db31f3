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
    throw new Error(
      `provisioning Job name "${job}" is longer than ${MAX_JOB_NAME} characters: shorten clusterName to at most ${MAX_JOB_NAME - '-provision'.length}`,
    );
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

export interface ProvisioningDns {
  /** The address the script provisions through: restate-0 by its full name, which resolves from any namespace. */
  readonly seedAddress: string;
  /** The pod's `dnsConfig` (with `dnsPolicy: ClusterFirst`): the cluster's namespace appended to the search list. */
  readonly dnsConfig: { readonly searches: readonly string[] };
}

/**
 * How the provisioning pod, in the operator's namespace, reaches the nodes. Only `restatectl provision` talks to
 * the address it is given; every later call (`status`, `metadata-server list-servers`, `partitions list`) reads
 * the nodes configuration and dials each node's *advertised* address (`try_each` in
 * tools/restatectl/src/connection.rs, v1.4.0–v1.4.3 line 310, v1.4.4 line 418). The operator advertises
 * `http://restate-N.restate-cluster:5122`, a name with one dot: under the pod's `ndots:5` the resolver tries it
 * against each search domain first, and `<cluster>.svc.<domain>` in the search list makes it
 * `restate-N.restate-cluster.<cluster>.svc.<domain>`, the pod's real DNS name. A DNS-level fix, so it holds for
 * every restatectl of the floating `1.4` tag (single-address mode `-S` arrived only in 1.4.4). Pure.
 */
export function provisioningDns(clusterName: string, clusterDomain: string): ProvisioningDns {
  const namespaceDomain = `${clusterName}.svc.${clusterDomain}`;
  return { seedAddress: `http://restate-0.restate-cluster.${namespaceDomain}:5122`, dnsConfig: { searches: [namespaceDomain] } };
}
