import type { NetworkPeer } from '../cluster';

/** Longest name a Job may have: the Job controller copies it into the `job-name` label of its pods. */
const MAX_JOB_NAME = 63;

/** A scale-in from `from` to `to` replicas (values `scaleIn`). */
export interface ScaleIn {
  readonly from: number;
  readonly to: number;
}

export interface DrainNames {
  /** Name of the Job, its ConfigMap and its ServiceAccount: `<clusterName>-drain-<from>-to-<to>`. */
  readonly job: string;
  /** Labels on the Job's pods; the NetworkPolicy peer selects exactly these. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * Names of the drain step of one scale-in. The Job name is a contract: synth's replicas-decrease guard lets
 * `replicas` go from `from` to `to` only when the committed target holds a Job of exactly this name. Pure.
 */
export function drainNames(clusterName: string, scaleIn: ScaleIn): DrainNames {
  const job = `${clusterName}-drain-${scaleIn.from}-to-${scaleIn.to}`;
  if (job.length > MAX_JOB_NAME) throw new Error(`drain Job name "${job}" is longer than ${MAX_JOB_NAME} characters: shorten clusterName`);
  return { job, podLabels: drainPodLabels(clusterName) };
}

/** Labels on the drain pods of a cluster (every scale-in of it). */
export function drainPodLabels(clusterName: string): Readonly<Record<string, string>> {
  return { 'app.kubernetes.io/name': 'restate-drain', 'app.kubernetes.io/instance': clusterName };
}

/**
 * The NetworkPolicy peer that lets the drain pods, and nothing else in the operator namespace, reach the
 * cluster's fabric port 5122 (`security.networkPeers.metrics`), as the provisioning peer does for its Job.
 */
export function drainPeer(clusterName: string, operatorNamespace: string): NetworkPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': operatorNamespace } },
    podSelector: { matchLabels: { ...drainPodLabels(clusterName) } },
  };
}
