import { Chart, JsonPatch, type Size } from 'cdk8s';
import { Construct } from 'constructs';
import * as restate from '../../imports/operator-1.7.4/restate.dev';
import * as restate281 from '../../imports/operator-2.8.1/restate.dev';
import type { OperatorVersion } from '../values';
import { SYNC_OPTIONS, SYNC_WAVE, Wave } from './argocd-annotations';
import { bytesOf } from './units';

/** A NetworkPolicy peer as the RestateCluster CRD takes it. */
export type NetworkPeer = restate.RestateClusterSpecSecurityNetworkPeersMetrics;

export interface RestateClusterProps {
  /**
   * Name of the RestateCluster. The operator creates a namespace of this name and owns it: deleting the
   * cluster deletes the namespace, the pods and their volumes.
   */
  readonly name: string;

  /** Restate server image; it also provides `restatectl` for provisioning. */
  readonly image: string;

  /**
   * Pods in the StatefulSet. Every pod runs every role.
   * @default 3 - the smallest Raft metadata store that survives losing a node
   */
  readonly replicas?: number;

  /**
   * Volume per pod (`spec.storage.storageRequestBytes`): a whole number of bytes, which may never decrease.
   * Use `sizeOfBytes` (./units) for a byte count that is not a whole number of KiB.
   */
  readonly storageRequest: Size;

  /**
   * StorageClass of the volumes. Immutable once the cluster exists.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;

  /** The server configuration, as TOML text. The operator writes it verbatim to `config.toml`. */
  readonly config: string;

  /**
   * Requests and limits of the Restate container, as Kubernetes quantities (`cpu: "2"`, `memory: 8Gi`). Passed on
   * as the values write them: a cdk8s `Size` would render memory in Mi as cdk8s-plus does (`8Gi` as `8192Mi`),
   * rewriting what the user reviews, and cpu is not a size.
   * @default - none (best effort)
   */
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };

  /**
   * Extra pods allowed to reach the fabric port 5122 (`security.networkPeers.metrics`), besides the
   * cluster's own pods. Keep it narrow: 5122 also serves the control plane `restatectl` talks to.
   * @default - only the cluster's own pods
   */
  readonly fabricPeers?: readonly NetworkPeer[];

  /**
   * Who may call the ingress, port 8080 (`security.networkPeers.ingress`). `[]` admits everybody.
   * @default - nobody
   */
  readonly ingressPeers?: readonly NetworkPeer[];

  /**
   * Who may call the admin API, port 9070, besides the operator (`security.networkPeers.admin`). `[]` admits
   * everybody.
   * @default - only the operator
   */
  readonly adminPeers?: readonly NetworkPeer[];

  /**
   * Environment of the Restate container, e.g. credentials from a Secret via `secretKeyRef`.
   * @default - only what the operator injects
   */
  readonly env?: readonly restate.RestateClusterSpecComputeEnv[];

  /**
   * Annotations on the pods' service account, for workload identity (e.g. eks.amazonaws.com/role-arn).
   * @default - none
   */
  readonly serviceAccountAnnotations?: Record<string, string>;

  /**
   * The marks a GitOps tool puts on the objects it manages (Argo CD's tracking id annotation, Flux's owner
   * labels), written here so that the tool's first apply changes nothing: the operator copies the CR's labels
   * and annotations onto the pod template, so a mark added in the cluster would roll every pod.
   * @default - none
   */
  readonly gitOpsMarks?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };

  /**
   * Egress beyond the operator's defaults (DNS, the cluster's own pods, the public internet minus private
   * ranges): e.g. an in-cluster object store or trace collector.
   * @default - none
   */
  readonly egressRules?: readonly restate.RestateClusterSpecSecurityNetworkEgressRules[];

  /**
   * Where the pods may run (`spec.compute.{affinity,tolerations,nodeSelector}`). Part of the pod template: a
   * change rolls every pod.
   * @default - no constraints: the scheduler may put every pod on one Kubernetes node
   */
  readonly placement?: {
    readonly affinity?: restate.RestateClusterSpecComputeAffinity;
    readonly tolerations?: readonly restate.RestateClusterSpecComputeTolerations[];
    readonly nodeSelector?: Readonly<Record<string, string>>;
  };

  /**
   * The operator version that reconciles the cluster: the RestateCluster is built from that version's imported
   * CRD types (imports/operator-<version>/), and the fields below need 2.8.1.
   * @default "1.7.4"
   */
  readonly operatorVersion?: OperatorVersion;

  /**
   * `spec.cluster.autoProvision`: the operator provisions the cluster itself (2.8.1, `compute.rs:970-1008` at
   * v2.8.1); the config must say `auto-provision = false` (`provisioning.rs:25-87`).
   * @default false - provisioned by the Job or by hand
   */
  readonly autoProvision?: boolean;

  /**
   * `spec.compute.topologySpreadConstraints` (2.8.1). Each needs a label selector; use `clusterPodLabels`.
   * @default - none
   */
  readonly topologySpreadConstraints?: readonly restate281.RestateClusterSpecComputeTopologySpreadConstraints[];
}

/**
 * One Restate cluster, managed by the Restate operator.
 *
 * The object is cluster-scoped, so it carries no namespace. It is applied after the operator (Argo CD sync
 * wave 0, after the operator's -1) and is protected from Argo CD pruning and deletion: deleting it deletes
 * its namespace and volumes. Its labels and annotations are copied onto the pod template by the operator, so
 * it carries no labels and only static annotations; anything that changes per sync would restart every pod.
 */
export class RestateCluster extends Construct {
  /** The RestateCluster object (the class `cdk8s import` generated from the CRD of the operator version that reconciles it). */
  public readonly apiObject: restate.RestateCluster | restate281.RestateCluster;

  constructor(scope: Construct, id: string, props: RestateClusterProps) {
    super(scope, id);
    const replicas = props.replicas ?? 3;
    const fabricPeers = props.fabricPeers ?? [];
    const env = props.env ?? [];
    const egressRules = props.egressRules ?? [];
    const operatorVersion = props.operatorVersion ?? '1.7.4';
    const autoProvision = props.autoProvision ?? false;
    const spread = props.topologySpreadConstraints ?? [];
    if (operatorVersion === '1.7.4' && (autoProvision || spread.length > 0)) {
      throw new Error('RestateCluster: autoProvision and topologySpreadConstraints need operatorVersion 2.8.1');
    }
    const security: restate.RestateClusterSpecSecurity = {
      ...(fabricPeers.length > 0 || props.ingressPeers || props.adminPeers
        ? {
            networkPeers: {
              // Unset and [] differ here (nobody / everybody): an empty list is passed on as such.
              ...(props.ingressPeers ? { ingress: [...props.ingressPeers] } : {}),
              ...(props.adminPeers ? { admin: [...props.adminPeers] } : {}),
              ...(fabricPeers.length > 0 ? { metrics: [...fabricPeers] } : {}),
            },
          }
        : {}),
      ...(egressRules.length > 0 ? { networkEgressRules: [...egressRules] } : {}),
      ...(props.serviceAccountAnnotations ? { serviceAccountAnnotations: props.serviceAccountAnnotations } : {}),
    };

    const props281: restate281.RestateClusterProps = {
      metadata: {
        name: props.name,
        // No labels but the GitOps tool's own: operator 1.7.4 copies the CR's labels and annotations onto
        // everything it creates, the StatefulSet's pod template included, so any label change (a tracking id, a
        // sync option) rolls every pod. (The volume claim templates get only the mandatory labels at v1.7.4, compute.rs:414-417.)
        ...(props.gitOpsMarks?.labels ? { labels: { ...props.gitOpsMarks.labels } } : {}),
        annotations: {
          ...props.gitOpsMarks?.annotations,
          [SYNC_WAVE]: Wave.CLUSTER,
          // Prune/Delete=false: never let Argo CD delete the cluster (and with it, the data).
          // ServerSideApply: client-side apply writes last-applied-configuration, which the operator copies
          //   onto the pods, restarting all of them on every edit.
          // SkipDryRunOnMissingResource: under the argocd/flux deliveries the CRD comes from another
          //   Application/HelmRelease and may not exist yet when this one is dry-run.
          [SYNC_OPTIONS]: 'Prune=false,Delete=false,ServerSideApply=true,SkipDryRunOnMissingResource=true',
        },
      },
      spec: {
        compute: {
          image: props.image,
          replicas,
          ...(props.resources ? { resources: { requests: props.resources.requests, limits: props.resources.limits } } : {}),
          ...(env.length > 0 ? { env: [...env] } : {}),
          ...(props.placement?.affinity ? { affinity: props.placement.affinity } : {}),
          ...(props.placement?.tolerations ? { tolerations: [...props.placement.tolerations] } : {}),
          ...(props.placement?.nodeSelector ? { nodeSelector: { ...props.placement.nodeSelector } } : {}),
          ...(spread.length > 0 ? { topologySpreadConstraints: [...spread] } : {}),
        },
        storage: {
          storageRequestBytes: bytesOf(props.storageRequest),
          ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
        },
        config: props.config,
        ...(Object.keys(security).length > 0 ? { security } : {}),
        ...(autoProvision ? { cluster: { autoProvision: true } } : {}),
      },
    };
    // One spec, typed by the 2.8.1 CRD (a superset of 1.7.4's, so the fields above type-check against both);
    // the object is the class generated from the CRD of the version that reconciles it.
    this.apiObject =
      operatorVersion === '2.8.1'
        ? new restate281.RestateCluster(this, 'Resource', props281)
        : new restate.RestateCluster(this, 'Resource', props281 as restate.RestateClusterProps);
    // cdk8s stamps a chart's namespace onto every object in it; a cluster-scoped object must carry none.
    if (Chart.of(this).namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}
