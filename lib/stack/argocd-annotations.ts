/**
 * Argo CD annotations shared by the stack's objects. They are inert under plain `kubectl apply`.
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
 */
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/** CRDs first (when they ship apart), then the operator (with its CRDs otherwise), then the cluster, then the one-time provisioning step. */
export const Wave = {
  /** The operator's CRDs, when they ship as a chart of their own (operator 2.8.1). */
  CRDS: '-2',
  OPERATOR: '-1',
  CLUSTER: '0',
  PROVISIONING: '1',
} as const;
