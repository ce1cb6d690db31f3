import { Construct } from 'constructs';
import { Application } from '../../../imports/argoproj.io';
import { argocdMetadata, automatedSync } from '../argocd-parts';

export interface ArgoTargetApplicationProps {
  /** Name of the Application; the RestateCluster's tracking id names it, so keep it stable. */
  readonly name: string;
  /** Namespace of the Argo CD installation. */
  readonly argocdNamespace: string;
  /** The AppProject. */
  readonly project: string;
  /** The GitOps repository and revision. */
  readonly repoURL: string;
  readonly revision: string;
  /** The target folder inside the repository, e.g. `dist/dev/vultr`. */
  readonly path: string;
  /** The environment's API server. */
  readonly destinationServer: string;
  /** Default namespace of the destination (every object of the folder names its own). */
  readonly destinationNamespace: string;
  /**
   * Glob of files in the folder that this Application leaves to another one (the SOPS Secret).
   * @default none - every file of the folder
   */
  readonly exclude?: string;
}

/**
 * The Argo CD Application over one target folder (`dist/<environment>/<provider>`): the waves in the folder order
 * it (docs/gitops.md). Not recursive, so the folder's argocd/ and flux/ entries are not part of it. Syncs by
 * itself with self-heal; pruning is on, and the RestateCluster is exempt (`Prune=false,Delete=false`).
 */
export class ArgoTargetApplication extends Construct {
  public readonly apiObject: Application;

  constructor(scope: Construct, id: string, props: ArgoTargetApplicationProps) {
    super(scope, id);
    this.apiObject = new Application(this, 'Resource', {
      metadata: argocdMetadata(props.name, props.argocdNamespace),
      spec: {
        project: props.project,
        source: {
          repoUrl: props.repoURL,
          targetRevision: props.revision,
          path: props.path,
          directory: { recurse: false, ...(props.exclude ? { exclude: props.exclude } : {}) },
        },
        destination: { server: props.destinationServer, namespace: props.destinationNamespace },
        // ServerSideApply: as deploy:promote applies; no last-applied annotation that the operator would copy
        // onto the pods. The first sync of a fresh cluster can fail once while the operator's CRDs appear.
        syncPolicy: automatedSync({ prune: true, syncOptions: ['ServerSideApply=true'] }),
      },
    });
  }
}
