import { Size } from 'cdk8s';
import type { Construct } from 'constructs';
import { Cpu, k8s } from 'cdk8s-plus-28';
import { HOOK, HOOK_DELETE_POLICY, SYNC_WAVE, Wave } from './argocd-annotations';

/** Where the ConfigMap holding the script is mounted in the Job's pod. */
const SCRIPT_DIR = '/scripts';
/** The only writable place in the pod (an emptyDir); HOME points here. */
const TMP_DIR = '/tmp';

/** Requests and limits of a script Job's container. */
export interface ScriptJobResources {
  /** @default - no cpu request or limit */
  readonly cpu?: { readonly request?: Cpu; readonly limit?: Cpu };
  /** Written in Mi (whole mebibytes only). @default - no memory request or limit */
  readonly memory?: { readonly request?: Size; readonly limit?: Size };
}

export interface ScriptJobProps {
  /** Name of the Job, its ConfigMap and its ServiceAccount. */
  readonly name: string;
  /** Namespace of the three objects. */
  readonly namespace: string;
  /** Labels on the Job, ConfigMap and ServiceAccount. */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels on the Job's pods: the NetworkPolicy peer that lets them reach the nodes selects exactly these. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** File name of the script, its key in the ConfigMap, run as `sh /scripts/<scriptName>`. */
  readonly scriptName: string;
  /** The script's text. */
  readonly script: string;
  /** Name of the one container. */
  readonly containerName: string;
  /** Image of the container (it must ship `sh` and whatever the script calls). */
  readonly image: string;
  /** The script's arguments. */
  readonly args: readonly string[];
  /** The pod's `dnsConfig` (with `dnsPolicy: ClusterFirst`). */
  readonly dnsConfig: { readonly searches: readonly string[] };
  /** Numeric user (and group) the script runs as; numeric so that `runAsNonRoot` can be verified. */
  readonly runAsUser: number;
  /**
   * Requests and limits of the container.
   * @default - requests 10m cpu / 32Mi memory, limits 200m cpu / 128Mi memory (restatectl is a small client)
   */
  readonly resources?: ScriptJobResources;
  /** Pod restarts after a failed attempt (`backoffLimit`). */
  readonly backoffLimit: number;
  /** Upper bound of the whole Job, in whole seconds (`activeDeadlineSeconds`). */
  readonly activeDeadlineSeconds: number;
  /** How long a finished Job is kept, in whole seconds (`ttlSecondsAfterFinished`). */
  readonly ttlSecondsAfterFinished: number;
}

/** The three objects of a script Job. */
export interface ScriptJobObjects {
  /** The ConfigMap holding the script (construct id `Script`). */
  readonly configMap: k8s.KubeConfigMap;
  /** The Job's ServiceAccount, no token mounted (construct id `ServiceAccount`). */
  readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Job (construct id `Resource`). */
  readonly job: k8s.KubeJob;
}

/**
 * What the provisioning Job and the drain Job share: a stack script shipped whole in a ConfigMap and run once
 * with `sh` by a Job that talks to Restate only. Its pod runs as a numeric non-root user with a read-only root
 * filesystem and no capabilities, mounts no service-account token and gets no service links, and has one
 * writable place, a 16Mi `/tmp` emptyDir that HOME points to. Under Argo CD the Job is a Sync hook
 * (BeforeHookCreation,HookSucceeded) in the provisioning wave, and the ConfigMap and ServiceAccount are plain
 * resources of that wave, so they exist when the Job starts. Writes the three objects into `scope`, in that order.
 */
export function scriptJob(scope: Construct, props: ScriptJobProps): ScriptJobObjects {
  const { name, runAsUser } = props;
  const resources = props.resources ?? {
    cpu: { request: Cpu.millis(10), limit: Cpu.millis(200) },
    memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
  };
  const metadata = { name, namespace: props.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: Wave.PROVISIONING } };

  const configMap = new k8s.KubeConfigMap(scope, 'Script', { metadata, data: { [props.scriptName]: props.script } });
  // The script talks to Restate only, never to the Kubernetes API.
  const serviceAccount = new k8s.KubeServiceAccount(scope, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
  const job = new k8s.KubeJob(scope, 'Resource', {
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [HOOK]: 'Sync', [HOOK_DELETE_POLICY]: 'BeforeHookCreation,HookSucceeded' },
    },
    spec: {
      backoffLimit: props.backoffLimit,
      activeDeadlineSeconds: props.activeDeadlineSeconds,
      ttlSecondsAfterFinished: props.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: { ...props.podLabels } },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          dnsPolicy: 'ClusterFirst',
          dnsConfig: { searches: [...props.dnsConfig.searches] },
          securityContext: { runAsNonRoot: true, runAsUser, runAsGroup: runAsUser, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: props.containerName,
              image: props.image,
              command: ['sh', `${SCRIPT_DIR}/${props.scriptName}`],
              args: [...props.args],
              env: [{ name: 'HOME', value: TMP_DIR }],
              resources: {
                requests: quantities(resources.cpu?.request, resources.memory?.request),
                limits: quantities(resources.cpu?.limit, resources.memory?.limit),
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
  return { configMap, serviceAccount, job };
}

function quantities(cpu: Cpu | undefined, memory: Size | undefined): Record<string, k8s.Quantity> | undefined {
  if (!cpu && !memory) return undefined;
  return {
    ...(cpu ? { cpu: k8s.Quantity.fromString(cpu.amount) } : {}),
    ...(memory ? { memory: k8s.Quantity.fromString(`${memory.toMebibytes()}Mi`) } : {}),
  };
}
