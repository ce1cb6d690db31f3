/**
 * The Services, the ConfigMap, the ServiceAccount and the PodDisruptionBudget the operator writes in a
 * RestateCluster's namespace: `src/controllers/restatecluster/reconcilers/compute.rs` (v1.7.4; the same functions at
 * v2.8.1 sit 7 lines lower, :48-203).
 */
import { createHash } from 'node:crypto';
import { ADMIN_PORT, CLUSTER_SERVICE, FABRIC_PORT, HEADLESS_SERVICE, INGRESS_PORT } from '../target-folder/operator-names';
import type { Manifest, RestateClusterObject } from './manifest';
import { mandatoryLabels, objectMeta } from './metadata';

const H2C = 'kubernetes.io/h2c';

/** The ports of Service `restate` (compute.rs:133-152): every one h2c; no targetPort (= the port). */
export const CLUSTER_SERVICE_PORTS = [
  { name: 'ingress', port: INGRESS_PORT },
  { name: 'admin', port: ADMIN_PORT },
  { name: 'metrics', port: FABRIC_PORT },
] as const;

/** Service `restate` (compute.rs:115-157): ClusterIP, the pods' mandatory labels, `spec.security.serviceAnnotations`. */
export function clusterService(cluster: RestateClusterObject): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, CLUSTER_SERVICE, cluster.metadata.name, cluster.spec.security?.serviceAnnotations),
    spec: {
      selector: mandatoryLabels(cluster),
      ports: CLUSTER_SERVICE_PORTS.map(({ name, port }) => ({ appProtocol: H2C, name, port })),
    },
  };
}

/**
 * Service `restate-cluster` (compute.rs:159-179): headless (`clusterIP: None`), port `node` 5122 only, and it lists
 * pods before they are Ready (`publishNotReadyAddresses`): the nodes must reach each other to become ready.
 */
export function headlessService(cluster: RestateClusterObject): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, HEADLESS_SERVICE, cluster.metadata.name),
    spec: {
      selector: mandatoryLabels(cluster),
      ports: [{ appProtocol: H2C, name: 'node', port: FABRIC_PORT }],
      publishNotReadyAddresses: true,
      clusterIP: 'None',
    },
  };
}

/** ServiceAccount `restate` (compute.rs:41-59) with `spec.security.serviceAccountAnnotations` (e.g. the IAM role). */
export function serviceAccount(cluster: RestateClusterObject): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: objectMeta(cluster, 'restate', cluster.metadata.name, cluster.spec.security?.serviceAccountAnnotations),
  };
}

/**
 * The ConfigMap's name (compute.rs:61-68): `restate-config-` and the first 4 bytes of the config's SHA-256 read as a
 * little-endian u32, in hex without leading zeros; a new config is a new ConfigMap, so the pods roll.
 */
export function configMapName(config: string): string {
  return `restate-config-${createHash('sha256').update(config, 'utf8').digest().readUInt32LE(0).toString(16)}`;
}

/** The ConfigMap with `config.toml` = `spec.config` verbatim, "" when unset (compute.rs:61-75). */
export function configMap(cluster: RestateClusterObject): Manifest {
  const config = typeof cluster.spec.config === 'string' ? cluster.spec.config : '';
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(cluster, configMapName(config), cluster.metadata.name),
    data: { 'config.toml': config },
  };
}

/** PodDisruptionBudget `restate` (compute.rs:181-196): maxUnavailable 1 over the cluster's pods, in both versions. */
export function disruptionBudget(cluster: RestateClusterObject): Manifest {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(cluster, 'restate', cluster.metadata.name),
    spec: { maxUnavailable: 1, selector: { matchLabels: mandatoryLabels(cluster) } },
  };
}
