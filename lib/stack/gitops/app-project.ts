import { Construct } from 'constructs';
import { AppProject } from '../../../imports/argoproj.io';
import { argocdMetadata } from '../argocd-parts';

/** A kind by API group (`''` for the core group). */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface ArgoTargetProjectProps {
  /** Name of the AppProject. */
  readonly name: string;
  readonly argocdNamespace: string;
  /** Repositories the Applications may read: the GitOps repository and the operator chart's registry. */
  readonly sourceRepos: readonly string[];
  /** The environment's API server. */
  readonly destinationServer: string;
  /** Every namespace an object of the target lands in. */
  readonly namespaces: readonly string[];
  /** Cluster-scoped kinds the target writes. */
  readonly clusterKinds: readonly GroupKind[];
  /** Namespaced kinds the target writes. */
  readonly namespacedKinds: readonly GroupKind[];
}

const byGroupKind = (a: GroupKind, b: GroupKind) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`);
const unique = (kinds: readonly GroupKind[]) => [...new Map(kinds.map((k) => [`${k.group}/${k.kind}`, k])).values()].sort(byGroupKind);

/**
 * The AppProject of a target's Applications: exactly the sources, destinations and kinds the target uses, so
 * an Application of it cannot deploy anything else (https://argo-cd.readthedocs.io/en/stable/user-guide/projects/).
 */
export class ArgoTargetProject extends Construct {
  public readonly apiObject: AppProject;

  constructor(scope: Construct, id: string, props: ArgoTargetProjectProps) {
    super(scope, id);
    this.apiObject = new AppProject(this, 'Resource', {
      metadata: argocdMetadata(props.name, props.argocdNamespace),
      spec: {
        description: 'restate-stack: what the synthesized target deploys, and nothing else',
        sourceRepos: [...new Set(props.sourceRepos)].sort(),
        destinations: [...new Set(props.namespaces)].sort().map((namespace) => ({ server: props.destinationServer, namespace })),
        clusterResourceWhitelist: unique(props.clusterKinds).map(({ group, kind }) => ({ group, kind })),
        namespaceResourceWhitelist: unique(props.namespacedKinds).map(({ group, kind }) => ({ group, kind })),
      },
    });
  }
}
