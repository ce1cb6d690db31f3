import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type { k8s } from 'cdk8s-plus-28';
import { provisioningDns } from '../provisioning/names';
import { scriptJob } from '../script-job';
import { drainNames, type ScaleIn } from './drain-names';
import { DRAIN_SCRIPT_NAME, drainScript, drainScriptArgs } from './drain-script';

export interface DrainJobProps {
  /** Name of the RestateCluster (also its namespace). */
  readonly clusterName: string;
  /** The scale-in to prepare (values `scaleIn`): pods restate-to..from-1 are drained. */
  readonly scaleIn: ScaleIn;
  /** Namespace the step runs in: the operator's, like the provisioning Job (the cluster's own is deny-all). */
  readonly namespace: string;
  /** The cluster's own Restate image: it ships `restatectl`, matching the server version. */
  readonly image: string;
  /**
   * The Kubernetes cluster's DNS domain: the Job reaches the nodes by their full names under it.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * How long the script may take for all leaving nodes, in whole seconds (each node waits for its partitions to
   * move, ~30 s measured on a loaded machine).
   * @default Duration.minutes(15)
   */
  readonly deadline?: Duration;
  /**
   * How long a finished Job is kept before Kubernetes deletes it.
   * @default Duration.days(1) - long enough to read its log before the second commit (lower `replicas`), whose guard reads the committed Job, not this one
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * Numeric user (and group) the script runs as.
   * @default 65532
   */
  readonly runAsUser?: number;
}

/**
 * The first commit of a scale-in: a Job that drains the pods the second commit removes, with the stack's
 * drain.sh (in a ConfigMap) and the cluster's own image, against `restate-0` on the fabric port 5122 — worker
 * draining, storage read-only, metadata-server remove-node, one node at a time, each waited for. It needs
 * nothing from the Kubernetes API (no service-account token): only the network path to the nodes' port 5122,
 * which the RestateCluster opens to its pods (`drainPeer` in `security.networkPeers.metrics`). It stops no pod
 * and deletes no volume.
 *
 * Under Argo CD it is a Sync hook after the RestateCluster (like the provisioning Job): it runs on every sync
 * while `scaleIn` is set (the drain is idempotent) and a failed drain fails the sync, so the commit that lowers
 * `replicas` is not applied over a cluster that was not drained.
 */
export class DrainJob extends Construct {
  /** The Job. */
  public readonly apiObject: k8s.KubeJob;
  /** The ConfigMap holding drain.sh. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Job's ServiceAccount (no token mounted). */
  public readonly serviceAccount: k8s.KubeServiceAccount;

  constructor(scope: Construct, id: string, props: DrainJobProps) {
    super(scope, id);
    const deadlineSeconds = (props.deadline ?? Duration.minutes(15)).toSeconds();
    const { job: name, podLabels } = drainNames(props.clusterName, props.scaleIn);
    const { seedAddress, dnsConfig } = provisioningDns(props.clusterName, props.clusterDomain ?? 'cluster.local');

    const { configMap, serviceAccount, job } = scriptJob(this, {
      name,
      namespace: props.namespace,
      labels: { ...podLabels, 'app.kubernetes.io/component': 'drain' },
      podLabels,
      scriptName: DRAIN_SCRIPT_NAME,
      script: drainScript(),
      containerName: 'drain',
      image: props.image,
      args: drainScriptArgs({ ...props.scaleIn, address: seedAddress, deadlineSeconds }),
      dnsConfig,
      runAsUser: props.runAsUser ?? 65532,
      // One attempt: a failed drain must be looked at, not retried blindly.
      backoffLimit: 0,
      activeDeadlineSeconds: deadlineSeconds + 60,
      ttlSecondsAfterFinished: (props.ttlAfterFinished ?? Duration.days(1)).toSeconds(),
    });
    this.configMap = configMap;
    this.serviceAccount = serviceAccount;
    this.apiObject = job;
  }
}
