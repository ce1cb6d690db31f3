/**
 * The pods upstream code creates from what the stack ships, built here for the PodSecurity tests
 * (test/control-plane/pod-security.live.test.ts), since neither helm, the operator nor a kubelet runs in the tests.
 * Each is a stand-in derived from upstream source at the tags of https://github.com/restatedev/restate-operator:
 *
 * - `operatorChartPod`: the pod template of the chart's Deployment as `helm template` renders it, with our chart
 *   values (read from the synthesized operator file) over the chart's defaults.
 *   charts/restate-operator-helm/templates/deployment.yaml, values.yaml and templates/_helpers.tpl at v1.7.4 and
 *   v2.8.1. Helm's coalescing of values is modelled for maps (merged key by key, `null` removes a default) and
 *   for everything else (replaced). Gaps: only the pod spec's fields are built, not the Deployment's other parts;
 *   `version` and `nameOverride` change only the image tag here; values the template writes as given (affinity,
 *   tolerations, env, resources) are passed through without Helm's YAML round trip.
 * - `clusterPod`: pod `restate-<ordinal>` of the operator's StatefulSet `restate` for a RestateCluster, as the
 *   StatefulSet controller stamps it from the template lib/operator-part/ derives (cited there), with the volume
 *   claim template's claim as the StatefulSet controller names it (`storage-restate-<ordinal>`). Gaps: those of
 *   lib/operator-part/ (a CR with a request-signing key or trusted CA certificates is refused, not built wrong).
 * - `canaryPod`: the pod of 2.8.1's credential canary Job (`canary_job_spec()`, compute.rs:1082-1119 at v2.8.1),
 *   which the operator runs in the cluster's namespace only for AWS pod identity or GCP workload identity.
 */

import { statefulSet } from '../../lib/operator-part/stateful-set';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as JSON
type Obj = any;

export type OperatorChartVersion = '1.7.4' | '2.8.1';

/** The chart's values.yaml defaults that reach the pod template (identical at v1.7.4 and v2.8.1 for these keys). */
function chartDefaults(version: OperatorChartVersion): Obj {
  return {
    nameOverride: 'restate-operator',
    version: '',
    image: { repository: 'ghcr.io/restatedev/restate-operator', pullPolicy: 'IfNotPresent' },
    imagePullSecrets: [],
    podAnnotations: {},
    podSecurityContext: { fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch' },
    securityContext: {
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 3000,
    },
    logging: { env_filter: 'info,restate=debug' },
    env: [],
    affinity: {},
    resources: { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '100Mi' } },
    ...(version === '2.8.1' ? { nodeSelector: {}, tolerations: [] } : {}),
  };
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Helm's coalescing of user values over chart defaults: maps merge key by key, `null` deletes, the rest replaces. */
export function coalesce(defaults: Obj, user: Obj): Obj {
  const out: Obj = { ...defaults };
  for (const [key, value] of Object.entries(user ?? {})) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = coalesce(out[key], value);
    else out[key] = value;
  }
  return out;
}

const nonEmpty = (value: unknown) => (Array.isArray(value) ? value.length > 0 : isMap(value) ? Object.keys(value).length > 0 : !!value);

/** The pod of the chart's Deployment `restate-operator` (templates/deployment.yaml at the version's tag). */
export function operatorChartPod(version: OperatorChartVersion, chartValues: Obj): Obj {
  const v = coalesce(chartDefaults(version), chartValues);
  const name = v.nameOverride || 'restate-operator-helm';
  const tag = v.version || version;
  const env = [
    { name: 'RUST_LOG', value: v.logging.env_filter },
    { name: 'OPERATOR_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'OPERATOR_LABEL_NAME', value: 'app' },
    { name: 'OPERATOR_LABEL_VALUE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    ...(v.awsPodIdentityAssociationCluster
      ? [{ name: 'AWS_POD_IDENTITY_ASSOCIATION_CLUSTER', value: v.awsPodIdentityAssociationCluster }]
      : []),
    ...(version === '2.8.1' && v.gcpWorkloadIdentity ? [{ name: 'GCP_WORKLOAD_IDENTITY', value: 'true' }] : []),
    ...(version === '2.8.1' && v.canaryImage ? [{ name: 'CANARY_IMAGE', value: v.canaryImage }] : []),
    ...(version === '2.8.1' && v.clusterDns ? [{ name: 'CLUSTER_DNS', value: v.clusterDns }] : []),
    ...(v.env ?? []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-pod`,
      labels: { app: name },
      annotations: { 'kubectl.kubernetes.io/default-container': name, ...(nonEmpty(v.podAnnotations) ? v.podAnnotations : {}) },
    },
    spec: {
      ...(nonEmpty(v.affinity) ? { affinity: v.affinity } : {}),
      ...(version === '2.8.1' && nonEmpty(v.nodeSelector) ? { nodeSelector: v.nodeSelector } : {}),
      serviceAccountName: name,
      ...(nonEmpty(v.imagePullSecrets) ? { imagePullSecrets: v.imagePullSecrets } : {}),
      securityContext: v.podSecurityContext ?? {},
      containers: [
        {
          name,
          image: `${v.image.repository}:${tag}`,
          imagePullPolicy: v.image.pullPolicy,
          securityContext: v.securityContext ?? {},
          resources: v.resources ?? {},
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env,
          readinessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 5 },
        },
      ],
      ...(nonEmpty(v.tolerations) ? { tolerations: v.tolerations } : {}),
    },
  };
}

/**
 * Pod `restate-<ordinal>` of a RestateCluster (the CR as synthesized), as the StatefulSet controller stamps it from
 * the template the operator's part derives (lib/operator-part/stateful-set.ts): the template's metadata and spec, the
 * pod's hostname and subdomain, and the claim template's volume `storage-restate-<ordinal>` first.
 */
export function clusterPod(cluster: Obj, version: OperatorChartVersion, ordinal = 0): Obj {
  const sts = statefulSet(cluster, version);
  const template = sts.spec.template;
  const name = `restate-${ordinal}`;
  const claims = sts.spec.volumeClaimTemplates.map((claim: Obj) => ({
    name: claim.metadata.name,
    persistentVolumeClaim: { claimName: `${claim.metadata.name}-${name}` },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...template.metadata },
    spec: { ...template.spec, hostname: name, subdomain: sts.spec.serviceName, volumes: [...claims, ...template.spec.volumes] },
  };
}

/** The pod of operator 2.8.1's credential canary Job (no security context at all), with the chart's default image. */
export function canaryPod(cluster: Obj, jobName: 'restate-pia-canary' | 'restate-wi-canary', image = 'alpine:3.21'): Obj {
  const compute = cluster.spec.compute ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${jobName}-pod`, labels: { 'job-name': jobName } },
    spec: {
      serviceAccountName: 'restate',
      containers: [{ name: 'canary', image, command: ['sh', '-c', 'true'] }],
      ...(compute.tolerations ? { tolerations: compute.tolerations } : {}),
      restartPolicy: 'Never',
    },
  };
}

/** A Pod with the pod template of a Job, Deployment or StatefulSet (what its controller would create). */
export function podOfTemplate(workload: Obj, name: string): Obj {
  const template = workload.spec.template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: template.metadata?.labels ?? {} }, spec: template.spec };
}
