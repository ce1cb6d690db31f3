/**
 * Every object the restate-operator writes for one RestateCluster, derived without a cluster: what the operator's
 * reconcile applies (controller.rs:157-208 at v1.7.4, :168-247 at v2.8.1), in a byte-deterministic order.
 *
 * Assumed of the operator's process, as the chart installs it with no cloud flags: no
 * `--aws-pod-identity-association-cluster` (no PodIdentityAssociation, no canary Job), no SecurityGroupPolicy or
 * SecretProviderClass CRD, no `--gcp-workload-identity` at 2.8.1 (compute.rs:480-565; :750-918 @2.8.1).
 */
import type { OperatorVersion } from '../values';
import type { Manifest, RestateClusterObject } from './manifest';
import { objectMeta } from './metadata';
import { networkPolicyManifests } from './network-policies';
import { clusterService, configMap, disruptionBudget, headlessService, serviceAccount } from './services';
import { statefulSet } from './stateful-set';

/** The Namespace named after the cluster, owned by it (controller.rs:183-190; :182-214 @2.8.1). */
export function clusterNamespace(cluster: RestateClusterObject): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: objectMeta(cluster, cluster.metadata.name, undefined) };
}

/**
 * The objects in the order the operator applies them: the namespace, the NetworkPolicies
 * (`reconcile_network_policies`, controller.rs:192), then `reconcile_compute` (compute.rs:444-606): service
 * account, ConfigMap, Service `restate`, Service `restate-cluster`, PodDisruptionBudget, StatefulSet.
 */
export function operatorObjectsInApplyOrder(cluster: RestateClusterObject, version: OperatorVersion): Manifest[] {
  return [
    clusterNamespace(cluster),
    ...networkPolicyManifests(cluster, version),
    serviceAccount(cluster),
    configMap(cluster),
    clusterService(cluster),
    headlessService(cluster),
    disruptionBudget(cluster),
    statefulSet(cluster, version),
  ];
}

const sortKey = (o: Manifest): string => `${o.kind}\u0000${o.metadata.namespace ?? ''}\u0000${o.metadata.name}`;

/** Every object the operator writes for `cluster` under operator `version`, sorted by kind, namespace and name. */
export function operatorObjects(cluster: RestateClusterObject, version: OperatorVersion): Manifest[] {
  return operatorObjectsInApplyOrder(cluster, version).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}
