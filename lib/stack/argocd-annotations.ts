/**
 * Argo CD annotations shared by the stack's objects. They are inert under plain `kubectl apply`.
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
 */
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/**
 * Argo CD's resource tracking annotation (the default tracking method since 3.0), whose value is
 * `<application>:<group>/<kind>:<namespace>/<name>` (util/argo/resource_tracking.go:233-234 and
 * common/common.go:215 of argoproj/argo-cd at v3.5.1).
 */
export const TRACKING_ID = 'argocd.argoproj.io/tracking-id';

/**
 * Sync waves. Argo CD applies a wave only once every resource of the waves before it is healthy, and under
 * 1.7.4 the RestateCluster is healthy (Ready) only once it is provisioned: so the provisioning Job (a Sync hook)
 * is in the cluster's own wave, never after it, or the first sync would wait for itself forever
 * (docs/gitops.md, "Sync waves"). What needs a serving cluster (monitoring) comes after it.
 */
export const Wave = {
  /** The operator's CRDs, when they ship as a chart of their own (operator 2.8.1). */
  CRDS: '-2',
  OPERATOR: '-1',
  CLUSTER: '0',
  PROVISIONING: '0',
  MONITORING: '1',
} as const;

/** Argo CD hook annotations. https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/ */
export const HOOK = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
