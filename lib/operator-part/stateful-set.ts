/**
 * StatefulSet `restate`, the operator's `restate_statefulset` in
 * `src/controllers/restatecluster/reconcilers/compute.rs` (v1.7.4 :257-432; v2.8.1 :383-640, cited `@2.8.1`).
 */
import { ADMIN_PORT, FABRIC_PORT, HEADLESS_SERVICE, INGRESS_PORT, STATEFULSET } from '../target-folder/operator-names';
import type { OperatorVersion } from '../values';
import { OPERATOR_MOUNTS, operatorEnv } from './env';
import { type Manifest, type RestateClusterObject, sortedMap, withoutUndefined } from './manifest';
import { baseLabels, mandatoryLabels, objectMeta } from './metadata';
import { configMapName } from './services';

/** The readiness probe: GET /health on 9070 (:375-382); 2.8.1 waits 30 s before the first probe (:577-585 @2.8.1). */
export function readinessProbe(version: OperatorVersion): Manifest {
  return withoutUndefined({
    httpGet: { port: ADMIN_PORT, path: '/health' },
    initialDelaySeconds: version === '2.8.1' ? 30 : undefined,
  });
}

/** The pods' labels: the base labels (:264-265); at 2.8.1 `spec.compute.labels` under them (:393-401 @2.8.1). */
export function podTemplateLabels(cluster: RestateClusterObject, version: OperatorVersion): Record<string, string> {
  const own = version === '2.8.1' ? (cluster.spec.compute?.labels ?? {}) : {};
  return sortedMap({ ...own, ...baseLabels(cluster) })!;
}

/** The pods' annotations: the RestateCluster's (:266-273); at 2.8.1 `spec.compute.annotations` under them (:403-418 @2.8.1). */
function podTemplateAnnotations(cluster: RestateClusterObject, version: OperatorVersion): Record<string, string> | undefined {
  const own = version === '2.8.1' ? (cluster.spec.compute?.annotations ?? {}) : {};
  return sortedMap({ ...own, ...(cluster.metadata.annotations ?? {}) });
}

/** What the derivation does not model: a RestateCluster asking for it is refused, not derived wrongly. */
function refuseUnmodelled(cluster: RestateClusterObject, version: OperatorVersion): void {
  const security = cluster.spec.security ?? {};
  const asked = [
    // signing_key.rs: a Secret or a SecretProviderClass volume and RESTATE_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE (:318-334)
    security.requestSigningPrivateKey !== undefined && 'spec.security.requestSigningPrivateKey',
    // the combine-ca-certs init container on the operator's canary image (:303-367, :481-512 @2.8.1)
    version === '2.8.1' && (security.trustedCaCerts ?? []).length > 0 && 'spec.security.trustedCaCerts',
  ].filter((field): field is string => typeof field === 'string');
  if (asked.length > 0)
    throw new Error(`RestateCluster ${cluster.metadata.name}: ${asked.join(', ')}: the operator's part does not model it`);
}

export function statefulSet(cluster: RestateClusterObject, version: OperatorVersion): Manifest {
  refuseUnmodelled(cluster, version);
  const v2 = version === '2.8.1';
  const compute = cluster.spec.compute ?? {};
  const storage = cluster.spec.storage ?? {};
  const config = typeof cluster.spec.config === 'string' ? cluster.spec.config : '';
  const clusterName = typeof cluster.spec.clusterName === 'string' ? cluster.spec.clusterName : cluster.metadata.name;
  // :275-308: the data volume (a claim template), an emptyDir on /tmp, the ConfigMap read-only on /config.
  const volumeMounts: Manifest[] = [
    { name: 'storage', mountPath: OPERATOR_MOUNTS.baseDir },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'config', mountPath: '/config', readOnly: true },
  ];
  const volumes: Manifest[] = [
    { name: 'tmp', emptyDir: {} },
    { name: 'config', configMap: { name: configMapName(config) } },
  ];
  // :526-531 @2.8.1: the user's extra mounts and volumes last.
  if (v2) {
    volumeMounts.push(...(compute.extraVolumeMounts ?? []));
    volumes.push(...(compute.extraVolumes ?? []));
  }
  // :514-519 @2.8.1: sidecars are native sidecars (init containers forced to restartPolicy Always).
  const sidecars: Manifest[] | undefined =
    v2 && compute.sidecars?.length ? compute.sidecars.map((s: Manifest) => ({ ...s, restartPolicy: 'Always' })) : undefined;
  const container = withoutUndefined({
    name: 'restate',
    image: compute.image,
    imagePullPolicy: compute.imagePullPolicy,
    command: v2 ? compute.command : undefined,
    args: v2 ? compute.args : undefined,
    lifecycle: v2 ? compute.lifecycle : undefined,
    env: operatorEnv(clusterName, compute.env ?? [], version),
    // :358-374: named ports; the NetworkPolicies and Services use the numbers.
    ports: [
      { name: 'ingress', containerPort: INGRESS_PORT },
      { name: 'admin', containerPort: ADMIN_PORT },
      { name: 'metrics', containerPort: FABRIC_PORT },
    ],
    readinessProbe: readinessProbe(version),
    resources: compute.resources,
    // :384-388
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    volumeMounts,
  });
  const podSpec = withoutUndefined({
    affinity: compute.affinity,
    automountServiceAccountToken: false,
    dnsPolicy: compute.dnsPolicy,
    dnsConfig: compute.dnsConfig,
    imagePullSecrets: v2 ? compute.imagePullSecrets : undefined,
    initContainers: sidecars,
    containers: [container],
    // :392-402: uid 1000, gid 3000, fsGroup 2000 changed only on a root mismatch, the runtime's seccomp profile.
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      fsGroup: 2000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    serviceAccountName: 'restate',
    // :404; `spec.compute.terminationGracePeriodSeconds` else 60 at 2.8.1 (:607-609 @2.8.1)
    terminationGracePeriodSeconds: v2 ? (compute.terminationGracePeriodSeconds ?? 60) : 60,
    volumes,
    tolerations: compute.tolerations,
    nodeSelector: compute.nodeSelector,
    // :613-614 @2.8.1; operator 1.7.4 has neither field.
    topologySpreadConstraints: v2 ? compute.topologySpreadConstraints : undefined,
    priorityClassName: v2 ? compute.priorityClassName : undefined,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(cluster, STATEFULSET, cluster.metadata.name),
    spec: withoutUndefined({
      replicas: compute.replicas,
      selector: { matchLabels: mandatoryLabels(cluster) },
      serviceName: HEADLESS_SERVICE,
      template: {
        metadata: withoutUndefined({ labels: podTemplateLabels(cluster, version), annotations: podTemplateAnnotations(cluster, version) }),
        spec: podSpec,
      },
      // :411-413: every pod at once, so that a metadata cluster that lost several pods gets them back together.
      podManagementPolicy: 'Parallel',
      // :414-427: one claim `storage` with the mandatory labels only (they cannot change), ReadWriteOnce, the
      // requested bytes as a plain number (:434-442); volumeAttributesClassName at 2.8.1 (:629 @2.8.1).
      volumeClaimTemplates: [
        {
          metadata: { name: 'storage', labels: mandatoryLabels(cluster) },
          spec: withoutUndefined({
            storageClassName: storage.storageClassName,
            volumeAttributesClassName: v2 ? storage.volumeAttributesClassName : undefined,
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: String(storage.storageRequestBytes) } },
          }),
        },
      ],
    }),
  };
}
