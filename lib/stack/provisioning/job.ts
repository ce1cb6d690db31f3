import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type { k8s } from 'cdk8s-plus-28';
import { type ScriptJobResources, scriptJob } from '../script-job';
import { provisioningDns, provisioningNames } from './names';
import { PROVISION_SCRIPT_NAME, provisionScript, provisionScriptArgs } from './script';

/** Requests and limits of the provisioning container. */
export type ProvisioningResources = ScriptJobResources;

export interface ProvisioningJobProps {
  /** Name of the RestateCluster to provision (also its namespace). */
  readonly clusterName: string;

  /**
   * Namespace the step runs in: the operator's. At operator 1.7.4 it cannot run in the cluster's namespace,
   * which the operator must create itself and whose deny-all NetworkPolicies would cut the step off.
   */
  readonly namespace: string;

  /**
   * The Kubernetes cluster's DNS domain (the kubelet's `clusterDomain`): the Job reaches the nodes by their full
   * names under it.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;

  /** The cluster's own Restate image: it ships `restatectl`, matching the server version. */
  readonly image: string;

  /**
   * Pods of the cluster (`spec.compute.replicas`): a first provisioning succeeds only once restate-0..N-1 are
   * all metadata members and every partition has a leader.
   * @default - every node in the cluster's nodes configuration
   */
  readonly replicas?: number;

  /**
   * Log and partition replication the cluster must have (values `restate.defaultReplication`): after
   * provisioning, the script sets it with `restatectl config set` when the cluster has another (a scale-out that
   * raised it); a no-op when it has it already. `default-replication` in config.toml applies only at provisioning.
   * @default - the replication is left as it is
   */
  readonly replication?: number | string;

  /**
   * How long one attempt of the script keeps trying (node not answering yet, provisioning not confirmed), in
   * whole seconds. Under Argo CD the Job may start before the pods are even scheduled, so this covers volume
   * binding and image pulls too.
   * @default Duration.minutes(10)
   */
  readonly deadline?: Duration;

  /**
   * Pod restarts after a failed attempt (`backoffLimit`).
   * @default 2 - three attempts in all
   */
  readonly backoffLimit?: number;

  /**
   * Upper bound of the whole Job, every attempt included (`activeDeadlineSeconds`, whole seconds).
   * @default - every attempt's deadline plus 60 seconds each for pod start-up
   */
  readonly activeDeadline?: Duration;

  /**
   * How long a finished Job (and its pods and logs) is kept before Kubernetes deletes it (`ttlSecondsAfterFinished`).
   * @default Duration.hours(1) - long enough to read the logs of a failed run, and for Argo CD to see the outcome
   */
  readonly ttlAfterFinished?: Duration;

  /**
   * Numeric user (and group) the script runs as; numeric so that `runAsNonRoot` can be verified.
   * @default 65532
   */
  readonly runAsUser?: number;

  /**
   * Requests and limits of the container.
   * @default - requests 10m cpu / 32Mi memory, limits 200m cpu / 128Mi memory (restatectl is a small client)
   */
  readonly resources?: ProvisioningResources;

  /** Extra labels on the Job, ConfigMap and ServiceAccount. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Provisions a Restate cluster once, from inside Kubernetes: the repository's provision.sh (in a ConfigMap),
 * run by a Job with the cluster's own image against `restate-0` on the fabric port 5122. It runs in the
 * operator's namespace yet resolves the nodes' advertised short names as a pod of the cluster's namespace
 * would (see `provisioningDns`).
 *
 * The pods carry the labels of `provisioningPeer`, which the RestateCluster must list in
 * `security.networkPeers.metrics`: the cluster's deny-all policies let nothing else in on 5122.
 *
 * Under Argo CD the Job is a Sync hook in wave 1, after the RestateCluster (wave 0), rather than a plain
 * resource: a plain Job removed by its TTL would show as missing, and auto-sync would create it again and
 * again. As a hook it runs on every sync (provisioning is idempotent), Argo CD deletes it once it succeeded
 * (HookSucceeded), keeps a failed one for inspection until the TTL or the next sync (BeforeHookCreation),
 * and a failed run fails the sync. Under plain `kubectl apply` the hook annotations are inert and the TTL
 * cleans up.
 */
export class ProvisioningJob extends Construct {
  /** The Job. */
  public readonly apiObject: k8s.KubeJob;
  /** The ConfigMap holding provision.sh. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Job's ServiceAccount (no token mounted). */
  public readonly serviceAccount: k8s.KubeServiceAccount;

  constructor(scope: Construct, id: string, props: ProvisioningJobProps) {
    super(scope, id);
    const deadlineSeconds = (props.deadline ?? Duration.minutes(10)).toSeconds();
    const backoffLimit = props.backoffLimit ?? 2;
    const activeDeadlineSeconds = props.activeDeadline?.toSeconds() ?? (backoffLimit + 1) * (deadlineSeconds + 60);

    const { job: name, podLabels } = provisioningNames(props.clusterName);
    const clusterDomain = props.clusterDomain ?? 'cluster.local';
    // Cluster DNS as usual, plus the cluster's namespace in the search list: see provisioningDns.
    const { seedAddress, dnsConfig } = provisioningDns(props.clusterName, clusterDomain);

    const { configMap, serviceAccount, job } = scriptJob(this, {
      name,
      namespace: props.namespace,
      labels: { ...podLabels, 'app.kubernetes.io/component': 'provisioning', ...props.labels },
      podLabels,
      scriptName: PROVISION_SCRIPT_NAME,
      script: provisionScript(),
      containerName: 'provision',
      image: props.image,
      args: provisionScriptArgs({
        address: seedAddress,
        deadlineSeconds,
        replicas: props.replicas,
        ...(props.replication !== undefined ? { ensureReplication: props.replication } : {}),
      }),
      dnsConfig,
      runAsUser: props.runAsUser ?? 65532,
      resources: props.resources,
      backoffLimit,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished: (props.ttlAfterFinished ?? Duration.hours(1)).toSeconds(),
    });
    this.configMap = configMap;
    this.serviceAccount = serviceAccount;
    this.apiObject = job;
  }
}
