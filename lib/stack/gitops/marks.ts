import type { StackValues } from '../../values';
import { TRACKING_ID } from '../argocd-annotations';
import { argoApplicationName, fluxStepName, gitOpsTools } from './tools';

/** Flux's owner labels on what a Kustomization applies (kustomize-controller v1.9.4, kustomization_controller.go:462). */
export const FLUX_OWNER_NAME = 'kustomize.toolkit.fluxcd.io/name';
export const FLUX_OWNER_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';

/**
 * The marks the target's GitOps tool will put on the RestateCluster, with the values it will write: Argo CD's
 * tracking id for the cluster-scoped CR (`<application>:restate.dev/RestateCluster:/<name>`) and Flux's owner
 * labels of the cluster step. Pure.
 */
export function gitOpsMarks(values: StackValues): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  const tools = gitOpsTools(values);
  return {
    ...(tools.flux
      ? { labels: { [FLUX_OWNER_NAME]: fluxStepName(values, 'cluster'), [FLUX_OWNER_NAMESPACE]: values.operator.flux.namespace } }
      : {}),
    ...(tools.argocd
      ? { annotations: { [TRACKING_ID]: `${argoApplicationName(values)}:restate.dev/RestateCluster:/${values.clusterName}` } }
      : {}),
  };
}
