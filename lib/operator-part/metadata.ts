/**
 * The metadata the operator gives every object it derives from a RestateCluster. Upstream:
 * restatedev/restate-operator, `src/controllers/restatecluster/` at the tag (v1.7.4 unless `@2.8.1` says).
 */
import { clusterPodLabels } from '../target-folder/operator-names';
import { type Manifest, type RestateClusterObject, sortedMap, withoutUndefined } from './manifest';

/**
 * The controller owner reference of the RestateCluster (controller.rs:161 `controller_owner_ref`; kube-core 0.99
 * resource.rs:116: apiVersion, kind, name, uid and `controller: true`, no blockOwnerDeletion).
 */
export function ownerReference(cluster: RestateClusterObject): Manifest {
  return {
    apiVersion: cluster.apiVersion,
    kind: cluster.kind,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid ?? '',
    controller: true,
  };
}

/**
 * `object_meta` (reconcilers/mod.rs:29-36) over the base metadata of controller.rs:163-169: the object's name, the
 * RestateCluster's labels with the mandatory labels on top (mod.rs:12-20: `app.kubernetes.io/name: restate`,
 * `app.kubernetes.io/instance: <cluster>`), the RestateCluster's annotations, and its owner reference.
 * `extraAnnotations` are the ones the object adds (the service account's and Service's, compute.rs:46-53, 120-127).
 */
export function objectMeta(
  cluster: RestateClusterObject,
  name: string,
  namespace: string | undefined,
  extraAnnotations?: Readonly<Record<string, string>>,
): Manifest {
  return withoutUndefined({
    name,
    namespace,
    labels: baseLabels(cluster),
    annotations: sortedMap({ ...(cluster.metadata.annotations ?? {}), ...(extraAnnotations ?? {}) }),
    ownerReferences: [ownerReference(cluster)],
  });
}

/** The RestateCluster's labels with the mandatory ones on top (mod.rs:32-34), as a BTreeMap orders them. */
export function baseLabels(cluster: RestateClusterObject): Record<string, string> {
  return sortedMap({ ...(cluster.metadata.labels ?? {}), ...mandatoryLabels(cluster) })!;
}

/** mod.rs:12-20: the labels selectors use; the volume claim template's labels (they cannot change later). */
export function mandatoryLabels(cluster: RestateClusterObject): Record<string, string> {
  return sortedMap(clusterPodLabels(cluster.metadata.name))!;
}
