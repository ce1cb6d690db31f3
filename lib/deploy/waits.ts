import type { Delivery } from '../values';
import { FIRST_POD, OPERATOR_CRDS, OPERATOR_DEPLOYMENT, STATEFULSET } from '../target-folder/operator-names';
import type { WaitTarget } from './kubectl';

/** Names the upstream operator chart 1.7.4 and the operator use (lib/target-folder/operator-names.ts). */
export const Upstream = {
  CRDS: OPERATOR_CRDS,
  /** The chart names its Deployment `restate-operator` whatever the release name. */
  OPERATOR_DEPLOYMENT,
  /** StatefulSet and pod name prefix of every RestateCluster. */
  STATEFULSET,
  /** The pod that provisioning and `restatectl status` run in. */
  FIRST_POD,
} as const;

/** One wait of promote: what it waits for, in words, and what most likely holds it up. */
export interface Wait extends WaitTarget {
  /** Names the object and the state, e.g. `CRD restateclusters.restate.dev to be Established`. */
  readonly description: string;
  /** Shown when the wait times out: the likely cause and where to look. */
  readonly likelyCause: string;
}

/** Where the operator comes from under each delivery, for messages about a wait that does not end. */
function operatorSource(delivery: Delivery, values: OperatorWaitValues): string {
  switch (delivery) {
    case 'helm':
      return `the operator file applied just before`;
    case 'argocd':
      return `Argo CD, which may not have synced the operator Application yet (\`kubectl -n ${values.argocdNamespace} get applications\`)`;
    case 'flux':
      return `Flux, which may not have reconciled the operator HelmRelease yet (\`kubectl -n ${values.fluxNamespace} get ocirepositories,helmreleases\`)`;
  }
}

export interface OperatorWaitValues {
  readonly delivery: Delivery;
  readonly operatorNamespace: string;
  readonly argocdNamespace: string;
  readonly fluxNamespace: string;
}

/**
 * The CRDs Established and the operator Deployment Available. Under the argocd and flux deliveries these
 * objects come from Argo CD or Flux, some time after our file is applied: wait for them to exist first
 * (a plain `kubectl wait` fails at once on an object that does not exist yet).
 */
export function operatorWaits(values: OperatorWaitValues): Wait[] {
  const source = operatorSource(values.delivery, values);
  const installedByController = values.delivery !== 'helm';
  const waits: Wait[] = [];
  for (const crd of Upstream.CRDS) {
    const object = `crd/${crd}`;
    if (installedByController) {
      waits.push({ object, condition: 'create', description: `CRD ${crd} to exist`, likelyCause: `it is installed by ${source}.` });
    }
    waits.push({
      object,
      condition: 'condition=Established',
      description: `CRD ${crd} to be Established`,
      likelyCause:
        `the API server has not accepted the CRD from ${source}; ` +
        `\`kubectl get crd ${crd} -o yaml\` shows its conditions (NamesAccepted, Established).`,
    });
  }
  const deployment = `deployment/${Upstream.OPERATOR_DEPLOYMENT}`;
  const inspect =
    `\`kubectl -n ${values.operatorNamespace} describe ${deployment}\` and ` +
    `\`kubectl -n ${values.operatorNamespace} logs ${deployment}\``;
  if (installedByController) {
    waits.push({
      namespace: values.operatorNamespace,
      object: deployment,
      condition: 'create',
      description: `operator Deployment ${values.operatorNamespace}/${Upstream.OPERATOR_DEPLOYMENT} to exist`,
      likelyCause: `it is installed by ${source}.`,
    });
  }
  waits.push({
    namespace: values.operatorNamespace,
    object: deployment,
    condition: 'condition=Available',
    description: `operator Deployment ${values.operatorNamespace}/${Upstream.OPERATOR_DEPLOYMENT} to be Available`,
    likelyCause:
      `the operator pod does not run: image pull failing (ghcr.io/restatedev/restate-operator reachable?), ` +
      `Pending for lack of cpu/memory, or crash-looping (it exits when a restate.dev CRD is missing); see ${inspect}.`,
  });
  return waits;
}

export interface ClusterWaitValues {
  readonly clusterName: string;
  readonly replicas: number;
  readonly image: string;
  readonly storageClassName?: string;
  readonly operatorNamespace: string;
  /** The Secret the pods read the object storage keys from. @default - none */
  readonly credentialsSecret?: string;
}

function operatorLogs(operatorNamespace: string): string {
  return `\`kubectl -n ${operatorNamespace} logs deployment/${Upstream.OPERATOR_DEPLOYMENT}\``;
}

/** The namespace the operator creates for the cluster: everything in it (pods, the credentials Secret) waits for it. */
export function clusterNamespaceWait(values: Pick<ClusterWaitValues, 'clusterName' | 'operatorNamespace'>): Wait {
  const { clusterName: ns } = values;
  return {
    object: `namespace/${ns}`,
    condition: 'create',
    description: `namespace ${ns} (created by the operator) to exist`,
    likelyCause: `the operator has not reconciled RestateCluster ${ns}; see \`kubectl get restatecluster ${ns} -o yaml\` (status) and ${operatorLogs(values.operatorNamespace)}.`,
  };
}

/**
 * Every pod of the StatefulSet created and Running (after `clusterNamespaceWait`). Running, not Ready: the pods
 * only turn Ready once the cluster is provisioned, which comes after this.
 */
export function clusterPodWaits(values: ClusterWaitValues): Wait[] {
  const { clusterName: ns } = values;
  const waits: Wait[] = [];
  const storage = values.storageClassName ? `StorageClass ${values.storageClassName}` : 'the default StorageClass';
  const secret = values.credentialsSecret
    ? `, or its container cannot start (CreateContainerConfigError: Secret ${values.credentialsSecret} or one of its keys missing)`
    : '';
  for (let i = 0; i < values.replicas; i++) {
    const pod = `${Upstream.STATEFULSET}-${i}`;
    waits.push({
      namespace: ns,
      object: `pod/${pod}`,
      condition: 'create',
      description: `pod ${ns}/${pod} to exist`,
      likelyCause:
        `the StatefulSet cannot create it (quota or admission policy?); see \`kubectl -n ${ns} describe statefulset ${Upstream.STATEFULSET}\`, ` +
        `or the operator has not created the StatefulSet (NameConflict when namespace ${ns} existed before the cluster?); see ${operatorLogs(values.operatorNamespace)}.`,
    });
    waits.push({
      namespace: ns,
      object: `pod/${pod}`,
      condition: 'jsonpath={.status.phase}=Running',
      description: `pod ${ns}/${pod} to be Running`,
      likelyCause:
        `the pod is Pending (its volume not bound: does ${storage} exist? no node with enough cpu/memory?) ` +
        `or cannot pull ${values.image}${secret}; see \`kubectl -n ${ns} describe pod ${pod}\`.`,
    });
  }
  return waits;
}

/** The in-cluster provisioning Job (automated provisioning) to complete. */
export function provisioningJobWait(operatorNamespace: string, job: string): Wait {
  return {
    namespace: operatorNamespace,
    object: `job/${job}`,
    condition: 'condition=Complete',
    description: `provisioning Job ${operatorNamespace}/${job} to complete`,
    likelyCause:
      `the Job's pod cannot reach restate-0 on port 5122 (networkPeers of the RestateCluster?) or provisioning fails; ` +
      `its last log lines are below, more with \`kubectl -n ${operatorNamespace} logs job/${job}\` and \`kubectl -n ${operatorNamespace} describe job ${job}\`.`,
  };
}

/** The operator's PVCs are `storage-restate-N` (volume claim template `storage` of StatefulSet `restate`). */
export const STORAGE_CLAIM_PREFIX = `storage-${Upstream.STATEFULSET}-`;

/** The drain Job of a scale-in (values `scaleIn`) to complete. */
export function drainJobWait(operatorNamespace: string, job: string, scaleIn: { readonly from: number; readonly to: number }): Wait {
  return {
    namespace: operatorNamespace,
    object: `job/${job}`,
    condition: 'condition=Complete',
    description: `drain Job ${operatorNamespace}/${job} to complete (restate-${scaleIn.to}..restate-${scaleIn.from - 1} drained)`,
    likelyCause:
      `a leaving node's partitions did not move (too few nodes for the replication?) or its pod cannot reach restate-0 on 5122; ` +
      `its last log lines are below, more with \`kubectl -n ${operatorNamespace} logs job/${job}\`. Do not lower replicas before it completes.`,
  };
}
