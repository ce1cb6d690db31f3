/**
 * Kinds that are cluster-scoped in Kubernetes: they must carry no `metadata.namespace`. Every other kind a
 * chart renders is treated as namespaced. Only kinds a Helm chart can plausibly render are listed; extend the
 * list when a chart starts rendering another cluster-scoped kind.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris (`kubectl api-resources --namespaced=false`)
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'CSIDriver',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/** True for a built-in kind that lives outside namespaces. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}
