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
 *   StatefulSet controller stamps it from `restate_statefulset()` (src/controllers/restatecluster/reconcilers/
 *   compute.rs:257-432 at v1.7.4, :383-640 at v2.8.1), with the volume claim template's claim as the StatefulSet
 *   controller names it (`storage-restate-<ordinal>`). Gaps: the ConfigMap's name is the operator's
 *   `restate-config-<hash>` with a placeholder hash; env holds only what the CR gives (the operator's own variables
 *   carry no PodSecurity field); the request-signing key volume, the trusted-CA init container and 2.8.1's
 *   sidecars and extra volumes are not modelled, and a CR that sets them is refused here rather than built wrong.
 * - `canaryPod`: the pod of 2.8.1's credential canary Job (`canary_job_spec()`, compute.rs:1082-1119 at v2.8.1),
 *   which the operator runs in the cluster's namespace only for AWS pod identity or GCP workload identity.
 */

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

/** Compute fields of the RestateCluster CRD (2.8.1) that add containers or volumes, which the stand-in does not build. */
const UNMODELLED_COMPUTE = ['sidecars', 'extraVolumes', 'extraVolumeMounts'];

/** Pod `restate-<ordinal>` of a RestateCluster (the CR as synthesized), as operator `version` builds it. */
export function clusterPod(cluster: Obj, version: OperatorChartVersion, ordinal = 0): Obj {
  const name: string = cluster.metadata.name;
  const compute = cluster.spec.compute ?? {};
  const security = cluster.spec.security ?? {};
  for (const key of UNMODELLED_COMPUTE) if (compute[key] !== undefined) throw new Error(`clusterPod: spec.compute.${key} is not modelled`);
  if (security.requestSigningPrivateKey !== undefined || security.trustedCaCerts !== undefined) {
    throw new Error('clusterPod: the signing key volume and trusted CA certificates are not modelled');
  }
  // object_meta(): the CR's labels and annotations, then the mandatory labels on top (compute.rs, mandatory_labels()).
  const mandatory = { 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': name };
  const labels = { ...(version === '2.8.1' ? compute.labels : {}), ...cluster.metadata.labels, ...mandatory };
  const annotations = { ...(version === '2.8.1' ? compute.annotations : {}), ...cluster.metadata.annotations };
  const later = version === '2.8.1';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `restate-${ordinal}`, labels, annotations },
    spec: {
      ...(compute.affinity ? { affinity: compute.affinity } : {}),
      automountServiceAccountToken: false,
      ...(compute.dnsPolicy ? { dnsPolicy: compute.dnsPolicy } : {}),
      ...(compute.dnsConfig ? { dnsConfig: compute.dnsConfig } : {}),
      ...(later && compute.imagePullSecrets ? { imagePullSecrets: compute.imagePullSecrets } : {}),
      hostname: `restate-${ordinal}`,
      subdomain: 'restate-cluster',
      containers: [
        {
          name: 'restate',
          image: compute.image,
          ...(compute.imagePullPolicy ? { imagePullPolicy: compute.imagePullPolicy } : {}),
          ...(later && compute.command ? { command: compute.command } : {}),
          ...(later && compute.args ? { args: compute.args } : {}),
          env: compute.env ?? [],
          ports: [
            { name: 'ingress', containerPort: 8080 },
            { name: 'admin', containerPort: 9070 },
            { name: 'metrics', containerPort: 5122 },
          ],
          readinessProbe: { httpGet: { port: 9070, path: '/health' }, ...(later ? { initialDelaySeconds: 30 } : {}) },
          ...(compute.resources ? { resources: compute.resources } : {}),
          // The container's security context, exactly: compute.rs:384-388 (v1.7.4), :587-591 (v2.8.1).
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
          volumeMounts: [
            { name: 'storage', mountPath: '/restate-data' },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'config', mountPath: '/config', readOnly: true },
          ],
        },
      ],
      // The pod's security context, exactly: compute.rs:392-401 (v1.7.4), :595-604 (v2.8.1).
      securityContext: {
        runAsUser: 1000,
        runAsGroup: 3000,
        fsGroup: 2000,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      serviceAccountName: 'restate',
      terminationGracePeriodSeconds: (later && compute.terminationGracePeriodSeconds) || 60,
      volumes: [
        // The StatefulSet controller's volume for the claim template `storage`.
        { name: 'storage', persistentVolumeClaim: { claimName: `storage-restate-${ordinal}` } },
        { name: 'tmp', emptyDir: {} },
        { name: 'config', configMap: { name: 'restate-config-0000000000' } },
      ],
      ...(compute.tolerations ? { tolerations: compute.tolerations } : {}),
      ...(compute.nodeSelector ? { nodeSelector: compute.nodeSelector } : {}),
      ...(later && compute.topologySpreadConstraints ? { topologySpreadConstraints: compute.topologySpreadConstraints } : {}),
      ...(later && compute.priorityClassName ? { priorityClassName: compute.priorityClassName } : {}),
    },
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
