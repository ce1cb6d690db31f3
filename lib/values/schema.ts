import { z } from 'zod';
import { GUARANTEES, missingGuarantees, type ObjectStoreUse, WHY } from './guarantees';
import { parseImageReference } from './image';
import {
  ALWAYS_EXISTING_NAMESPACES,
  annotationMap,
  envVarName,
  INT32_MAX,
  qualifiedNameProblem,
  quantityExceeds,
  resourceQuantity,
  secretKey,
  singleLine,
} from './kubernetes-rules';
import { memoryProblems } from './memory-budgets';
import { type Locations, locations, needsLocations, type Replication, replicationCopies, replicationSchema, zoneCopies } from './locations';
import { networkPeers } from './network-peers';
import { placement } from './placement';
import { CRDS_CHART_VERSIONS, OPERATOR_FEATURES, OPERATOR_VERSIONS, type OperatorVersion, PROVISIONERS } from './operator-versions';
import { dnsLabel, dnsSubdomain, egressTarget, goDuration, httpUrl, integer, labels, podsInNamespace, quantity } from './schema-parts';
import { ACKNOWLEDGEABLE_IDS, type AcknowledgeableId } from './warning-ids';
import { operatorPodHasSeccomp, POD_SECURITY_LEVELS } from './pod-security';

/** CPU/memory as Kubernetes quantities, passed to the pods unchanged. */
const resourceList = z.strictObject({ cpu: resourceQuantity.optional(), memory: resourceQuantity.optional() });
const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() }).superRefine((r, ctx) => {
  for (const name of ['cpu', 'memory'] as const) {
    const [request, limit] = [r.requests?.[name], r.limits?.[name]];
    if (request !== undefined && limit !== undefined && quantityExceeds(request, limit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['requests', name],
        message: `"${request}" is more than limits.${name} "${limit}"; the API server refuses a request above its limit`,
      });
    }
  }
});
const anyMap = z.record(z.string(), z.unknown());

const percent = integer.min(1, { error: 'must be between 1 and 100' }).max(100, { error: 'must be between 1 and 100' });
/** `for:` of one alert: how long its condition holds before it fires (`0s`: at once). */
const alertFor = z.strictObject({ for: goDuration });
const alertValues = z.strictObject({
  /** Base URL of the runbooks (docs/runbooks.md as you serve it); each alert's `runbook_url` adds `#<alert>`. */
  runbookBaseUrl: httpUrl,
  nodeDown: alertFor,
  podNotReady: alertFor,
  partitionsWithoutLeader: alertFor,
  metadataQuorumAtRisk: alertFor,
  /** Fires when the oldest partition snapshot is older than `maxAge`. */
  snapshotTooOld: z.strictObject({ maxAge: goDuration, for: goDuration }),
  /** Fires when a volume is more than `usedPercent` full. */
  volumeFillingUp: z.strictObject({ usedPercent: percent, for: goDuration }),
  /** Fires when a pod's working set is more than `usedPercent` of its memory limit. */
  memoryNearLimit: z.strictObject({ usedPercent: percent, for: goDuration }),
  /** Fires when a Restate container restarted at least `restarts` times within `window`. */
  restartLoop: z.strictObject({ restarts: integer.min(1, { error: 'must be at least 1' }), window: goDuration, for: goDuration }),
  clusterNotReady: alertFor,
  jobFailed: alertFor,
});

/**
 * Values of the operator chart 1.7.4 that we let users set (the chart's values.yaml at tag v1.7.4 of restatedev/restate-operator,
 * plus keys its templates honour though values.yaml does not list them: tolerations, service annotations, serviceMonitor.interval).
 * Keys that only later chart versions honour (`nodeSelector` 2.6.0+, `installCrds` 2.8+, `fullnameOverride`) are rejected as
 * unknown, since at 1.7.4 they would be silently ignored.
 */
const operatorChartValues174 = {
  replicaCount: integer
    .min(1)
    .max(INT32_MAX, { error: `must be at most ${INT32_MAX} (a Kubernetes int32)` })
    .optional(),
  version: singleLine().optional(),
  image: z
    .strictObject({ repository: singleLine().optional(), pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional() })
    .optional(),
  imagePullSecrets: z.array(z.strictObject({ name: dnsSubdomain() })).optional(),
  podAnnotations: annotationMap.optional(),
  logging: z.strictObject({ env_filter: singleLine().optional() }).optional(),
  resources: resources.optional(),
  tolerations: z.array(anyMap).optional(),
  serviceMonitor: z.strictObject({ enabled: z.boolean().optional(), interval: singleLine().optional() }).optional(),
  serviceAccount: z.strictObject({ annotations: annotationMap.optional() }).optional(),
  awsPodIdentityAssociationCluster: singleLine().optional(),
  env: z.array(z.strictObject({ name: envVarName, value: z.string() })).optional(),
  affinity: anyMap.optional(),
  podSecurityContext: anyMap.optional(),
  securityContext: anyMap.optional(),
};

/**
 * Keys of chart 2.8.1 beyond those of 1.7.4 (values.yaml and templates/deployment.yaml at tag v2.8.1):
 * `nodeSelector` (deployment.yaml:27-30), `canaryImage` (:71-74), `gcpWorkloadIdentity` (:67-70, rbac.yaml:119-131).
 * Not settable: `installCrds` (the stack ships the CRDs chart on its own and sets it false) and `clusterDns`
 * (set from the top-level `clusterDomain`).
 */
export const CHART_2_8_1_ONLY_KEYS = ['nodeSelector', 'canaryImage', 'gcpWorkloadIdentity'] as const;
const operatorChartValues = z.strictObject({
  ...operatorChartValues174,
  nodeSelector: labels.optional(),
  canaryImage: singleLine().optional(),
  gcpWorkloadIdentity: z.boolean().optional(),
});

/**
 * A topology spread constraint of the Restate pods (`spec.compute.topologySpreadConstraints`, operator 2.8.1).
 * The stack adds the label selector of the cluster's pods itself.
 */
const topologySpreadConstraint = z.strictObject({
  /** Node label whose values are the domains, e.g. topology.kubernetes.io/zone or kubernetes.io/hostname. */
  topologyKey: z.string().superRefine((key, ctx) => {
    const problem = qualifiedNameProblem(key);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** How many more pods one domain may hold than another. @default 1 */
  maxSkew: integer.min(1, { error: 'must be at least 1' }).optional(),
  /** DoNotSchedule leaves a pod Pending rather than skew further; ScheduleAnyway only prefers spreading. */
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway'], { error: 'must be DoNotSchedule or ScheduleAnyway' }),
  /** With DoNotSchedule: the number of domains to spread over even before that many exist. */
  minDomains: integer.min(1, { error: 'must be at least 1' }).optional(),
});

/** Why a warning is acknowledged: one line that a reviewer can read (plan shows it). */
const acknowledgementReason = singleLine('a reason').refine((text) => text.trim() !== '', {
  error: 'must say why the warning is acknowledged',
});

/**
 * `warnings.acknowledge.<id>: <reason>`: a standing warning the values accept knowingly. A mapping, not a list, so
 * that the layers merge it id by id (a provider acknowledges one, `null` in an environment takes it back).
 */
const acknowledge = z.strictObject(
  Object.fromEntries(ACKNOWLEDGEABLE_IDS.map((id) => [id, acknowledgementReason.optional()])) as Record<
    AcknowledgeableId,
    z.ZodOptional<typeof acknowledgementReason>
  >,
);

export const DELIVERIES = ['argocd', 'flux', 'helm'] as const;

/** The API server of the cluster Argo CD runs in, as Argo CD names it. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export type Delivery = (typeof DELIVERIES)[number];

export const METADATA_STORES = ['replicated', 'object-store'] as const;
export type MetadataStore = (typeof METADATA_STORES)[number];

export const CREDENTIAL_SOURCES = ['existing-secret', 'sops', 'workload-identity'] as const;

/** How Restate authenticates to object storage. Never a key in values: a reference to where it lives. */
const credentials = z.strictObject({
  source: z.enum(CREDENTIAL_SOURCES, { error: `must be one of ${CREDENTIAL_SOURCES.join(', ')}` }),
  /** The Secret in the cluster namespace holding the keys (existing-secret, sops). */
  secretName: dnsSubdomain().optional(),
  accessKeyIdKey: secretKey.optional(),
  secretAccessKeyKey: secretKey.optional(),
  /** A SOPS-encrypted Secret manifest, relative to the values folder (sops). */
  sopsFile: z
    .string()
    .regex(/^[A-Za-z0-9._\/-]+\.sops\.ya?ml$/, { error: 'must be a relative path ending in .sops.yaml' })
    .refine((file) => !file.startsWith('/') && !file.split('/').includes('..'), {
      error: 'must stay inside the values folder: no leading "/" and no ".." segment',
    })
    .optional(),
  /** Annotations for the pods' service account, e.g. eks.amazonaws.com/role-arn (workload-identity). */
  serviceAccountAnnotations: annotationMap.optional(),
});

const objectStorage = z.strictObject({
  s3Hostname: z
    .string()
    .regex(/^[a-zA-Z0-9.-]+(:[0-9]+)?$/, { error: 'must be a host name without scheme, e.g. ewr1.vultrobjects.com' })
    .optional(),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' })
    .optional(),
  region: singleLine().optional(),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9._\/-]*$/, { error: 'may only hold letters, digits and . _ / -' })
    .optional(),
  /** Talk plain HTTP to s3Hostname (an in-cluster store such as MinIO). */
  allowHttp: z.boolean().optional(),
  /** What the provider's store guarantees; anything not declared true counts as missing. */
  guarantees: z
    .strictObject(
      Object.fromEntries(GUARANTEES.map((g) => [g, z.boolean().optional()])) as Record<
        (typeof GUARANTEES)[number],
        z.ZodOptional<z.ZodBoolean>
      >,
    )
    .optional(),
  /** Guarantees accepted as missing, knowingly (docs/object-storage-and-credentials.md, "Object storage guarantees"). */
  acceptMissingGuarantees: z.array(z.enum(GUARANTEES, { error: `must list guarantees among ${GUARANTEES.join(', ')}` })).optional(),
  credentials: credentials.optional(),
  /** The store is inside the cluster or on a private range: where the Restate pods must be allowed to reach. */
  egressTo: egressTarget.optional(),
});

export const stackValuesSchema = z
  .strictObject({
    /** Name of the RestateCluster; the operator creates a namespace of the same name. */
    clusterName: dnsLabel(),
    /** Restate server image, pinned by tag or digest. */
    image: z.string().superRefine((text, ctx) => {
      const parsed = parseImageReference(text);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
    /** Number of Restate pods; every pod runs every role. At least 3 with the replicated metadata store. */
    replicas: integer
      .min(1, { error: 'must be at least 1' })
      .max(INT32_MAX, { error: `must be at most ${INT32_MAX} (a Kubernetes int32)` }),
    /**
     * Names one scale-in, `replicas: from → to`, done in two commits (docs/operations.md, "Scale in"): first a
     * commit with `scaleIn` set and `replicas: from` (it adds the drain Job), then the one with `replicas: to`.
     * Synth refuses any `replicas` decrease against the committed target that this key does not name.
     */
    scaleIn: z
      .strictObject({
        from: integer
          .min(2, { error: 'must be at least 2' })
          .max(INT32_MAX, { error: `must be at most ${INT32_MAX} (a Kubernetes int32)` }),
        to: integer.min(1, { error: 'must be at least 1' }).max(INT32_MAX, { error: `must be at most ${INT32_MAX} (a Kubernetes int32)` }),
      })
      .optional(),
    storage: z.strictObject({
      /** Volume per pod, as a Kubernetes quantity. */
      size: quantity,
      /** StorageClass of the volumes; immutable once the cluster exists. Unset: the cluster default. */
      storageClassName: dnsSubdomain().optional(),
    }),
    /** Where the Restate pods may run and how they spread (`spec.compute.{affinity,tolerations,nodeSelector}`). */
    placement: placement.optional(),
    /** The region and zones the pods run in: each node gets the location `<region>.<zone>` (docs/operations.md, "Zones"). */
    locations: locations.optional(),
    /** Spread the Restate pods over nodes or zones (operator 2.8.1; the stack adds the pods' label selector). */
    topologySpread: z.array(topologySpreadConstraint).optional(),
    /** Pod resources for the Restate containers. */
    resources: resources.optional(),
    restate: z.strictObject({
      /** Partitions created at provisioning (`default-num-partitions`); fixed afterwards. */
      defaultNumPartitions: integer.min(1, { error: 'must be between 1 and 65535' }).max(65535, { error: 'must be between 1 and 65535' }),
      /** Copies of every log and partition (`default-replication`): a count, or a property such as `{zone: 2, node: 3}`. */
      defaultReplication: replicationSchema,
      /** `log-filter` of the server, e.g. `info` or `warn,restate=info`. */
      logFilter: singleLine().optional(),
      /**
       * Memory budgets of the server, each a quantity. Unset: derived from `resources.limits.memory` (or the request)
       * by the rule in docs/memory.md. Synth refuses budgets above 3/4 of the pod's memory together.
       */
      memory: z
        .strictObject({
          /** `rocksdb-total-memory-size`: RocksDB's block cache and memtables. @default half the pod's memory */
          rocksdbTotal: quantity.optional(),
          /** `[admin.query-engine] memory-size`: SQL queries. @default 1/8 of the pod's memory, at most the server's default */
          queryEngine: quantity.optional(),
          /** `[bifrost] record-cache-memory-size`. @default 1/32 of the pod's memory, at most 250Mi */
          recordCache: quantity.optional(),
          /** `[worker.invoker] memory-limit` (Restate 1.7+). @default 1/16 of the pod's memory, at most 1536Mi */
          invoker: quantity.optional(),
        })
        .optional(),
    }),
    metadata: z.strictObject({
      /** `replicated`: Raft on every pod (the default). `object-store`: metadata in S3 (docs/object-storage-and-credentials.md). */
      store: z.enum(METADATA_STORES, { error: `must be one of ${METADATA_STORES.join(', ')}` }),
    }),
    operator: z.strictObject({
      chart: z.string().regex(/^oci:\/\/[^\s]+$/, { error: 'must be an oci:// chart reference' }),
      version: z.string().refine((v) => (OPERATOR_VERSIONS as readonly string[]).includes(v), {
        error: `must be one of ${OPERATOR_VERSIONS.join(', ')}: the operator versions this stack models (exact chart versions; each has its own CRD types in imports/ and its own chart values)`,
      }),
      /**
       * Ship the CRDs from the separate CRDs chart of this version (`restate-operator-crds`), ahead of the operator:
       * the first step of an upgrade to that version. Unset: the CRDs of `version` (with 2.8.1: its CRDs chart).
       */
      crdsVersion: z
        .enum(CRDS_CHART_VERSIONS, {
          error: `must be ${CRDS_CHART_VERSIONS.join(' or ')}: the versions whose CRDs ship as a chart of their own`,
        })
        .optional(),
      namespace: dnsLabel(),
      releaseName: dnsLabel(53),
      /** How the operator chart reaches the cluster. */
      delivery: z.enum(DELIVERIES, { error: `must be one of ${DELIVERIES.join(', ')}` }),
      chartValues: operatorChartValues,
      /**
       * Pod Security Standards level the operator's namespace enforces (its `pod-security.kubernetes.io/{enforce,audit,warn}`
       * labels). Unset: baseline, the level the operator's pod meets with the chart's defaults (docs/pod-security.md).
       */
      podSecurityLevel: z.enum(POD_SECURITY_LEVELS, { error: `must be one of ${POD_SECURITY_LEVELS.join(', ')}` }).optional(),
      argocd: z.strictObject({
        /** Namespace of the Argo CD installation that owns Applications. */
        namespace: dnsLabel(),
        /** The AppProject synth writes for the target (`<target>/argocd/`), and the project of its Applications. */
        project: dnsSubdomain(),
        /** API server of the environment's cluster, as Argo CD knows it (the Applications' `destination.server`). */
        destinationServer: z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[^\s]*)?$/, {
          error: 'must be an https:// API server URL, e.g. https://kubernetes.default.svc',
        }),
      }),
      flux: z.strictObject({
        /** Namespace for the OCIRepository, HelmRelease and the Kustomizations. */
        namespace: dnsLabel(),
        interval: goDuration,
        /** The GitRepository (in `namespace`) that holds this repository; `flux bootstrap` names it flux-system. */
        gitRepository: dnsSubdomain(),
      }),
    }),
    /** Where synth's output lives in the GitOps repository that Argo CD or Flux reads (`docs/gitops.md`). */
    gitops: z.strictObject({
      /** URL of the GitOps repository, as Argo CD's repo server clones it (the Applications' `source.repoURL`). */
      repoURL: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, { error: 'must be a git URL (https://…, ssh://… or git@host:path)' }),
      /** Branch, tag or commit Argo CD syncs (`targetRevision`). */
      revision: singleLine(),
      /** Path of the output folder (dist) inside that repository, without a leading "/". */
      path: z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'must be a relative path such as dist or clusters/restate/dist' })
        .refine((path) => !path.split('/').includes('..') && !path.split('/').includes('.'), {
          error: 'must not hold "." or ".." segments',
        }),
    }),
    /** Object storage for snapshots and, later, metadata. */
    objectStorage: objectStorage.optional(),
    snapshots: z.strictObject({
      /** Partition snapshots to object storage (`[worker.snapshots]`); enables log trimming. */
      enabled: z.boolean(),
      /** `snapshot-interval-num-records`: a snapshot every this many log records per partition. */
      intervalNumRecords: integer.min(1, { error: 'must be at least 1' }),
    }),
    metrics: z.strictObject({
      /** The operator's ServiceMonitor and a PodMonitor for the Restate pods (Prometheus Operator). */
      enabled: z.boolean(),
      /** The Prometheus pods, admitted to the fabric port 5122 where Restate serves /metrics. */
      prometheus: podsInNamespace,
      podMonitor: z.strictObject({
        /** Where the PodMonitor lives; not the cluster namespace, which the operator creates. */
        namespace: dnsLabel(),
        interval: goDuration,
        /** Labels your Prometheus' podMonitorSelector looks for (the PrometheusRule carries them too). */
        labels: labels.optional(),
      }),
      /** The PrometheusRule's alerts: thresholds and `for:` durations (docs/values.md, docs/runbooks.md). */
      alerts: alertValues,
      /** The Grafana dashboard's ConfigMap: where Grafana's dashboard sidecar looks, and the label it picks up. */
      dashboard: z.strictObject({ namespace: dnsLabel(), labels }),
    }),
    tracing: z.strictObject({
      /** OTLP (gRPC) endpoint for traces (`tracing-endpoint`). Unset: no tracing. */
      endpoint: httpUrl.optional(),
      /** `tracing-filter`, e.g. `info`. */
      filter: singleLine().optional(),
      /** Where the collector runs, for the egress rule the Restate pods need to reach it. */
      collector: egressTarget.optional(),
    }),
    provisioning: z.strictObject({
      /** Adds an in-cluster Job that runs `restatectl provision` once. */
      automated: z.boolean(),
      /**
       * Who provisions when automated: `job` (our Job, 0002-provisioning) or `operator` (`spec.cluster.autoProvision`,
       * operator 2.8.1). @default operator with operator 2.8.1, job with 1.7.4
       */
      by: z.enum(PROVISIONERS, { error: `must be one of ${PROVISIONERS.join(', ')}` }).optional(),
    }),
    /** The Kubernetes cluster's DNS domain (kubelet `clusterDomain`); the provisioning Job dials full names under it. */
    clusterDomain: dnsSubdomain().optional(),
    /** Who may call the ingress (8080) and the admin API (9070): `security.networkPeers` of the RestateCluster. */
    networkPeers: networkPeers.optional(),
    deploy: z.strictObject({
      /** kube context that `deploy:preview`/`deploy:promote` insist on for this environment. */
      kubeContext: singleLine().optional(),
      /**
       * The same per provider, for an environment with targets on more than one cluster (prod on vultr and on aws):
       * `{aws: restate-prod-aws}` wins over `kubeContext` for the target of that provider.
       */
      kubeContextByProvider: z.record(dnsLabel(), singleLine()).optional(),
    }),
    /** Warnings the values acknowledge, by id, each with its reason (docs/warnings.md). */
    warnings: z.strictObject({ acknowledge: acknowledge.optional() }).optional(),
  })
  .superRefine((values, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (values.metadata.store === 'replicated' && values.replicas < 3) {
      issue(
        ['replicas'],
        `must be at least 3: the replicated (Raft) metadata store needs a majority that survives losing a node, got ${values.replicas}`,
      );
    }
    if (values.scaleIn) {
      const { from, to } = values.scaleIn;
      if (to >= from)
        issue(['scaleIn', 'to'], `must be less than scaleIn.from (${from}): scaleIn names a decrease; an increase needs no step`);
      if (values.replicas !== from && values.replicas !== to) {
        issue(
          ['replicas'],
          `must be scaleIn.from (${from}, the drain commit) or scaleIn.to (${to}, the commit that lowers replicas) while scaleIn is set, got ${values.replicas}`,
        );
      }
      if (to < replicationCopies(values.restate.defaultReplication)) {
        issue(
          ['scaleIn', 'to'],
          `must be at least restate.defaultReplication (${replicationCopies(values.restate.defaultReplication)}): each copy of a log and a partition needs its own node`,
        );
      }
      if (values.metadata.store === 'replicated' && to < 3) {
        issue(
          ['scaleIn', 'to'],
          `must be at least 3: the replicated (Raft) metadata store needs a majority that survives losing a node, got ${to}`,
        );
      }
    }
    replicationIssues(values, issue);
    if ((ALWAYS_EXISTING_NAMESPACES as readonly string[]).includes(values.clusterName)) {
      issue(
        ['clusterName'],
        `must not be "${values.clusterName}": the operator creates the namespace named after the cluster, and every cluster already has that one (NameConflict)`,
      );
    }
    if (values.operator.delivery === 'argocd' && values.operator.argocd.destinationServer !== IN_CLUSTER_SERVER) {
      issue(
        ['operator', 'argocd', 'destinationServer'],
        `must be ${IN_CLUSTER_SERVER} with operator.delivery: argocd: that delivery puts the operator's Argo CD Application into the target folder, ` +
          'and the folder is applied to the destination cluster, where no Argo CD would see it. For another cluster use operator.delivery: helm (docs/gitops.md)',
      );
    }
    if (values.operator.podSecurityLevel === 'restricted' && !operatorPodHasSeccomp(values.operator.chartValues)) {
      issue(
        ['operator', 'podSecurityLevel'],
        "restricted would refuse the operator's own pod: the chart sets no seccomp profile. Set operator.chartValues.podSecurityContext." +
          'seccompProfile: {type: RuntimeDefault} as well, or keep baseline (docs/pod-security.md)',
      );
    }
    if (values.clusterName === values.operator.namespace) {
      issue(
        ['clusterName'],
        `must differ from operator.namespace: the operator creates and owns the namespace "${values.clusterName}" and deletes it with the cluster`,
      );
    }
    const uses: Array<[ObjectStoreUse, PropertyKey[]]> = [];
    if (values.snapshots.enabled) uses.push(['snapshots', ['snapshots', 'enabled']]);
    if (values.metadata.store === 'object-store') uses.push(['object-store metadata', ['metadata', 'store']]);
    for (const [use, path] of uses) {
      if (!values.objectStorage?.bucket) {
        issue(path, `${use} need objectStorage.bucket (and usually s3Hostname, region and credentials)`);
        continue;
      }
      for (const missing of missingGuarantees(use, values.objectStorage.guarantees, values.objectStorage.acceptMissingGuarantees)) {
        issue(
          path,
          `${use} need the object store guarantee "${missing}", which objectStorage.guarantees does not declare: ${WHY[missing]}. ` +
            `Use a store that has it, or accept the risk with objectStorage.acceptMissingGuarantees: [${missing}] (docs/object-storage-and-credentials.md: "Object storage guarantees")`,
        );
      }
    }
    const c = values.objectStorage?.credentials;
    if (c) {
      const at = (key: string) => ['objectStorage', 'credentials', key];
      if (c.source !== 'workload-identity' && !c.secretName)
        issue(at('secretName'), `is required with source ${c.source}: the Secret in namespace "${values.clusterName}" holding the keys`);
      if (c.source === 'sops' && !c.sopsFile)
        issue(at('sopsFile'), 'is required with source sops: the encrypted Secret manifest, relative to the values folder');
      if (c.source !== 'sops' && c.sopsFile) issue(at('sopsFile'), `only applies to source sops, not ${c.source}`);
      if (c.source === 'workload-identity' && !c.serviceAccountAnnotations) {
        issue(
          at('serviceAccountAnnotations'),
          'is required with source workload-identity, e.g. {eks.amazonaws.com/role-arn: arn:aws:iam::…:role/restate}',
        );
      }
      if (c.source === 'workload-identity' && (c.secretName || c.accessKeyIdKey || c.secretAccessKeyKey)) {
        issue(at('source'), 'workload-identity uses no static keys: remove secretName, accessKeyIdKey and secretAccessKeyKey');
      }
    }
    if (values.tracing.filter && !values.tracing.endpoint) issue(['tracing', 'filter'], 'has no effect without tracing.endpoint');
    operatorVersionIssues(values, issue);
    for (const problem of memoryProblems(values)) issue([...problem.path], problem.message);
  });

/** `restate.defaultReplication` against the pods and the zones that must hold its copies. */
function replicationIssues(
  values: { readonly replicas: number; readonly restate: { readonly defaultReplication: Replication }; readonly locations?: Locations },
  issue: (path: PropertyKey[], message: string) => void,
): void {
  const replication = values.restate.defaultReplication;
  const at = ['restate', 'defaultReplication'];
  if (replicationCopies(replication) > values.replicas) {
    issue(at, `must be between 1 and replicas (${values.replicas}): each copy needs its own node`);
  }
  if (!needsLocations(replication)) return;
  if (!values.locations) {
    issue(
      at,
      'names a zone or region scope, which needs every node to have a location: set locations.region and locations.zones ' +
        '(without locations every node is in the default location, one zone, and Restate cannot place the copies)',
    );
    return;
  }
  const zones = values.locations.zones.length;
  if (zoneCopies(replication) > zones) {
    issue(
      [...at, 'zone'],
      `must be at most the ${zones} zone${zones === 1 ? '' : 's'} locations.zones lists: each copy needs a zone of its own`,
    );
  }
  if (typeof replication !== 'number' && replication.region !== undefined && replication.region > 1) {
    issue([...at, 'region'], 'must be 1: the nodes run in one region (locations.region)');
  }
}

export type StackValuesInput = z.infer<typeof stackValuesSchema>;

/** Validated, merged values of one target, frozen. */
export interface StackValues extends StackValuesInput {
  readonly environment: string;
  readonly provider: string;
}

type Issue = (path: PropertyKey[], message: string) => void;

/** What `operator.version` allows and refuses of the other keys (chart values, cluster fields, provisioning). */
function operatorVersionIssues(values: StackValuesInput, issue: Issue): void {
  const version = values.operator.version as OperatorVersion;
  const features = OPERATOR_FEATURES[version];
  if (!features) return; // operator.version itself is reported
  if (!features.crdsSubchart) {
    for (const key of CHART_2_8_1_ONLY_KEYS) {
      if (values.operator.chartValues[key] !== undefined) {
        issue(['operator', 'chartValues', key], `is a value of chart 2.8.1, not of ${version}: chart ${version} would ignore it silently`);
      }
    }
  }
  if (values.topologySpread && !features.topologySpread) {
    issue(
      ['topologySpread'],
      `needs operator 2.8.1 (spec.compute.topologySpreadConstraints arrived in 1.8.3); operator.version is ${version}`,
    );
  }
  const by = values.provisioning.by;
  if (by !== undefined && !values.provisioning.automated) {
    issue(['provisioning', 'by'], 'has no effect without provisioning.automated: true (manual provisioning is `mise run provision`)');
  }
  if (by === 'operator' && !features.autoProvision) {
    issue(
      ['provisioning', 'by'],
      `operator needs operator 2.8.1 (spec.cluster.autoProvision arrived in 2.1.0); operator.version is ${version}: use job`,
    );
  }
  if (by !== undefined && values.metadata.store === 'object-store') {
    issue(
      ['provisioning', 'by'],
      'does not apply with metadata.store object-store: such a cluster provisions itself (auto-provision = true)',
    );
  }
}
