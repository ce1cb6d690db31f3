import { valid as validSemver } from 'semver';
import { z } from 'zod';
import { parseImageReference } from './image';
import { quantityToBytes } from './quantity';

// A DNS-1123 label: the cluster name becomes a namespace, the release name a label value.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// A DNS-1123 subdomain: StorageClass names.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const dnsLabel = (max = 63) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .regex(DNS_LABEL, { error: 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit' });

const integer = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' });

const quantity = z.string().superRefine((text, ctx) => {
  try {
    quantityToBytes(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** CPU/memory as Kubernetes quantities, passed to the pods unchanged. */
const resourceList = z.strictObject({ cpu: z.string().optional(), memory: z.string().optional() });
const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

/**
 * Values of the operator chart 1.7.4 that we let users set (RESTATE-FACTS §1). Keys that only later chart
 * versions honour (`nodeSelector` 2.6.0+, `installCrds` 2.8+, `fullnameOverride`) are rejected as unknown,
 * since at 1.7.4 they would be silently ignored.
 */
const operatorChartValues = z.strictObject({
  replicaCount: integer.min(1).optional(),
  version: z.string().optional(),
  image: z.strictObject({ repository: z.string().optional(), pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional() }).optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
  podAnnotations: z.record(z.string(), z.string()).optional(),
  logging: z.strictObject({ env_filter: z.string().optional() }).optional(),
  resources: resources.optional(),
  tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
  serviceMonitor: z.strictObject({ enabled: z.boolean().optional(), interval: z.string().optional() }).optional(),
  serviceAccount: z.strictObject({ annotations: z.record(z.string(), z.string()).optional() }).optional(),
  awsPodIdentityAssociationCluster: z.string().min(1).optional(),
  env: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
  affinity: z.record(z.string(), z.unknown()).optional(),
  podSecurityContext: z.record(z.string(), z.unknown()).optional(),
  securityContext: z.record(z.string(), z.unknown()).optional(),
});

export const DELIVERIES = ['argocd', 'flux', 'helm'] as const;
export type Delivery = (typeof DELIVERIES)[number];

export const stackValuesSchema = z
  .strictObject({
    /** Name of the RestateCluster object; the operator creates a namespace of the same name. */
    clusterName: dnsLabel(),
    /** Restate server image, pinned by tag or digest. */
    image: z.string().superRefine((text, ctx) => {
      const parsed = parseImageReference(text);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
    /** Number of Restate pods; every pod runs every role, including the Raft metadata server. */
    replicas: integer.min(3, { error: 'must be at least 3: the replicated (Raft) metadata store needs a majority that survives losing a node' }),
    storage: z.strictObject({
      /** Volume per pod, as a Kubernetes quantity. */
      size: quantity,
      /** StorageClass of the volumes; immutable once the cluster exists. Unset: the cluster default. */
      storageClassName: z.string().regex(DNS_SUBDOMAIN, { error: 'must be a DNS-1123 subdomain' }).optional(),
    }),
    /** Pod resources for the Restate containers. */
    resources: resources.optional(),
    restate: z.strictObject({
      /** Partitions created at provisioning (`default-num-partitions`); fixed afterwards. */
      defaultNumPartitions: integer.min(1, { error: 'must be between 1 and 65535' }).max(65535, { error: 'must be between 1 and 65535' }),
      /** Copies of every log and partition (`default-replication`). */
      defaultReplication: integer.min(1, { error: 'must be at least 1' }),
      /** `log-filter` of the server, e.g. `info` or `warn,restate=info`. */
      logFilter: z.string().min(1).optional(),
    }),
    operator: z.strictObject({
      chart: z.string().regex(/^oci:\/\/[^\s]+$/, { error: 'must be an oci:// chart reference' }),
      version: z.string().refine((v) => validSemver(v) === v && !v.startsWith('v'), {
        error: 'must be an exact chart version such as 1.7.4 (no ranges, no "v" prefix, no "latest")',
      }),
      namespace: dnsLabel(),
      releaseName: dnsLabel(53),
      /** How the operator chart reaches the cluster. */
      delivery: z.enum(DELIVERIES, { error: `must be one of ${DELIVERIES.join(', ')}` }),
      chartValues: operatorChartValues,
      argocd: z.strictObject({
        /** Namespace of the Argo CD installation that owns Applications. */
        namespace: dnsLabel(),
        project: z.string().min(1),
      }),
      flux: z.strictObject({
        /** Namespace for the OCIRepository and HelmRelease. */
        namespace: dnsLabel(),
        interval: z.string().regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, { error: 'must be a Go duration such as 10m or 1h' }),
      }),
    }),
    /**
     * Object storage for a later move to object-store metadata and snapshots. Accepted and turned into S3 URIs,
     * but not wired into the Restate config while metadata is replicated (Raft).
     */
    objectStorage: z
      .strictObject({
        s3Hostname: z.string().regex(/^[a-zA-Z0-9.-]+(:[0-9]+)?$/, { error: 'must be a host name without scheme, e.g. ewr1.vultrobjects.com' }).optional(),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' }).optional(),
        region: z.string().min(1).optional(),
        prefix: z.string().regex(/^[A-Za-z0-9._\/-]*$/, { error: 'may only hold letters, digits and . _ / -' }).optional(),
      })
      .optional(),
    provisioning: z.strictObject({
      /** Adds an in-cluster Job that runs `restatectl provision` once. */
      automated: z.boolean(),
    }),
    deploy: z.strictObject({
      /** kube context that `deploy:preview`/`deploy:promote` insist on for this environment. */
      kubeContext: z.string().min(1).optional(),
    }),
  })
  .superRefine((values, ctx) => {
    if (values.restate.defaultReplication > values.replicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['restate', 'defaultReplication'],
        message: `must be between 1 and replicas (${values.replicas}): each copy needs its own node`,
      });
    }
    if (values.clusterName === values.operator.namespace) {
      ctx.addIssue({
        code: 'custom',
        path: ['clusterName'],
        message: `must differ from operator.namespace: the operator creates and owns the namespace "${values.clusterName}" and deletes it with the cluster`,
      });
    }
  });

export type StackValuesInput = z.infer<typeof stackValuesSchema>;

/** Validated, merged values of one target, frozen. */
export interface StackValues extends StackValuesInput {
  readonly environment: string;
  readonly provider: string;
}
