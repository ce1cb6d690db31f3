import type { StackValues } from '../../values';

/** The GitOps tools synth writes entry objects for, from the operator delivery. */
export interface GitOpsTools {
  readonly argocd: boolean;
  readonly flux: boolean;
}

/**
 * `argocd`: Argo CD (the operator is a child Application). `flux`: Flux (the operator is a HelmRelease).
 * `helm`: both, since the rendered chart is plain manifests either can apply.
 */
export function gitOpsTools(values: StackValues): GitOpsTools {
  const delivery = values.operator.delivery;
  return { argocd: delivery !== 'flux', flux: delivery !== 'argocd' };
}

/**
 * Name of the target's Argo CD Application. The RestateCluster's tracking id names it, so it is the cluster's
 * name (stable), and with label tracking (Argo CD 2.x) `app.kubernetes.io/instance` then equals what the
 * operator stamps on the pods anyway.
 */
export function argoApplicationName(values: StackValues): string {
  return values.clusterName;
}

/** Name of the Flux Kustomization of one step of a target. */
export function fluxStepName(values: StackValues, step: string): string {
  return `${values.clusterName}-${step}`;
}
