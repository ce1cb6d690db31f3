/**
 * The names the restate-operator (chart and operator 1.7.4) gives what it creates for a RestateCluster. They are
 * fixed by the operator, not chosen by this project; deploy waits on them, verify models them, the stack points
 * at them. Upstream: https://github.com/restatedev/restate-operator/tree/v1.7.4 (the RestateCluster controller).
 */

/** Container ports of the operator's StatefulSet; its Services and probes use them. */
export const FABRIC_PORT = 5122;
export const ADMIN_PORT = 9070;
export const INGRESS_PORT = 8080;

/** The Service in front of every pod (ClusterIP; ingress, admin and fabric ports). */
export const CLUSTER_SERVICE = 'restate';

/** The operator's headless Service: it lists pods before they are Ready. */
export const HEADLESS_SERVICE = 'restate-cluster';

/** The StatefulSet of every RestateCluster, and so the prefix of its pod names. */
export const STATEFULSET = 'restate';

/** The StatefulSet's Restate container: the `container` label of its metrics and the alerts' selectors. */
export const RESTATE_CONTAINER = 'restate';

/** Pod (and node) name of the StatefulSet member with this ordinal. */
export function podName(ordinal: number): string {
  return `${STATEFULSET}-${ordinal}`;
}

/** The pod that provisioning and `restatectl status` run in. */
export const FIRST_POD = podName(0);

/** The pod's DNS name inside its namespace, through the headless Service. */
export function podHost(ordinal: number): string {
  return `${podName(ordinal)}.${HEADLESS_SERVICE}`;
}

/** What the operator sets as RESTATE_ADVERTISED_ADDRESS for this pod. */
export function advertisedAddress(ordinal: number): string {
  return `http://${podHost(ordinal)}:${FABRIC_PORT}`;
}

/** The CRDs the operator chart installs. */
export const OPERATOR_CRDS = ['restateclusters.restate.dev', 'restatedeployments.restate.dev'] as const;

/** The chart names its Deployment `restate-operator` whatever the release name. */
export const OPERATOR_DEPLOYMENT = 'restate-operator';

/** The labels the operator puts on a cluster's pods (and everything else it creates for the cluster). */
export function clusterPodLabels(clusterName: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': clusterName };
}

/**
 * Annotations on the operator's Namespace under the helm delivery, recording which operator chart and which
 * separate CRDs chart the target renders (the rendered objects do not say it reliably: `chartValues.version`
 * overrides the image tag). The GitOps deliveries say it in their sources (targetRevision, tag).
 */
export const OPERATOR_VERSION_ANNOTATION = 'restate-stack.dev/operator-version';
export const CRDS_VERSION_ANNOTATION = 'restate-stack.dev/crds-version';

/** Name of the operator chart and of its separate CRDs chart (in the operator's repository). */
export const OPERATOR_CHART_NAME = 'restate-operator-helm';
export const CRDS_CHART_PATH = 'charts/restate-operator-crds';
