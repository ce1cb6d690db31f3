import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { applicationHealthLua, healthCustomizationKey, restateClusterHealthLua } from './health-checks';

export interface ArgoHealthPatchProps {
  /** Namespace of the Argo CD installation (where argocd-cm lives). */
  readonly argocdNamespace: string;
}

/**
 * The keys this stack needs in Argo CD's `argocd-cm`, as a patch (not a ConfigMap to apply: that would replace
 * the installation's): the Lua health of the RestateCluster and of child Applications.
 * https://argo-cd.readthedocs.io/en/stable/operator-manual/health/#custom-health-checks
 */
export class ArgoHealthPatch extends Construct {
  public readonly apiObject: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: ArgoHealthPatchProps) {
    super(scope, id);
    this.apiObject = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: 'argocd-cm', namespace: props.argocdNamespace },
      data: {
        [healthCustomizationKey('restate.dev', 'RestateCluster')]: restateClusterHealthLua(),
        [healthCustomizationKey('argoproj.io', 'Application')]: applicationHealthLua(),
      },
    });
  }
}
