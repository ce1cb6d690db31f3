import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { SYNC_WAVE, Wave } from '../argocd-annotations';
import { provisioningDns } from '../provisioning/names';
import { HOOK, HOOK_DELETE_POLICY } from '../provisioning/job';
import { drainNames, type ScaleIn } from './drain-names';
import { DRAIN_SCRIPT_NAME, drainScript, drainScriptArgs } from './drain-script';

/** Where the ConfigMap holding the script is mounted in the Job's pod. */
const SCRIPT_DIR = '/scripts';
/** The only writable place in the pod (an emptyDir); HOME points here. */
const TMP_DIR = '/tmp';

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
  public readonly apiObject: k8s.KubeJob;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly serviceAccount: k8s.KubeServiceAccount;

  constructor(scope: Construct, id: string, props: DrainJobProps) {
    super(scope, id);
    const deadlineSeconds = (props.deadline ?? Duration.minutes(15)).toSeconds();
    const runAsUser = props.runAsUser ?? 65532;
    const { job: name, podLabels } = drainNames(props.clusterName, props.scaleIn);
    const labels = { ...podLabels, 'app.kubernetes.io/component': 'drain' };
    const metadata = { name, namespace: props.namespace, labels, annotations: { [SYNC_WAVE]: Wave.PROVISIONING } };
    const { seedAddress, dnsConfig } = provisioningDns(props.clusterName, props.clusterDomain ?? 'cluster.local');

    this.configMap = new k8s.KubeConfigMap(this, 'Script', { metadata, data: { [DRAIN_SCRIPT_NAME]: drainScript() } });
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
    this.apiObject = new k8s.KubeJob(this, 'Resource', {
      metadata: {
        ...metadata,
        annotations: { ...metadata.annotations, [HOOK]: 'Sync', [HOOK_DELETE_POLICY]: 'BeforeHookCreation,HookSucceeded' },
      },
      spec: {
        // One attempt: a failed drain must be looked at, not retried blindly.
        backoffLimit: 0,
        activeDeadlineSeconds: deadlineSeconds + 60,
        ttlSecondsAfterFinished: (props.ttlAfterFinished ?? Duration.days(1)).toSeconds(),
        template: {
          metadata: { labels: { ...podLabels } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            dnsPolicy: 'ClusterFirst',
            dnsConfig: { searches: [...dnsConfig.searches] },
            securityContext: { runAsNonRoot: true, runAsUser, runAsGroup: runAsUser, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'drain',
                image: props.image,
                command: ['sh', `${SCRIPT_DIR}/${DRAIN_SCRIPT_NAME}`],
                args: drainScriptArgs({ ...props.scaleIn, address: seedAddress, deadlineSeconds }),
                env: [{ name: 'HOME', value: TMP_DIR }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'script', mountPath: SCRIPT_DIR, readOnly: true },
                  { name: 'tmp', mountPath: TMP_DIR },
                ],
              },
            ],
            volumes: [
              { name: 'script', configMap: { name, defaultMode: 0o444 } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
            ],
          },
        },
      },
    });
  }
}
