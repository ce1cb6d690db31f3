import { Construct } from 'constructs';
import { Application } from '../../../imports/argoproj.io';
import { Wave } from '../argocd-annotations';
import { argocdMetadata, automatedSync } from '../argocd-parts';
import { IN_CLUSTER } from './argocd-application';
import { crdsChartSource, crdsReleaseName } from './crds-chart';

export interface OperatorCrdsArgoApplicationProps {
  /** Version of the CRDs chart (its tag in the operator's repository). */
  readonly version: string;
  /** The operator's release name; the Application is called `<release>-crds`. */
  readonly releaseName: string;
  /** The operator's namespace (the destination; CRDs are cluster-scoped, so it only names where Argo CD renders). */
  readonly namespace: string;
  /** Namespace of the Argo CD installation. */
  readonly argocdNamespace: string;
  /** Argo CD project. */
  readonly project: string;
  /**
   * API server of the cluster the CRDs are installed into.
   * @default IN_CLUSTER - the cluster Argo CD runs in
   */
  readonly destinationServer?: string;
}

/**
 * An Argo CD Application for the operator's CRDs chart, one sync wave before the operator's Application.
 *
 * The chart is taken from the operator's Git repository at the version's tag (lib/stack/operator/crds-chart.ts:
 * it is not in a registry). Argo CD renders Helm charts with their `crds/` folder included unless
 * `helm.skipCrds` is set, and its repo server follows symlinks that stay inside the repository, which the chart's
 * `crds/` entries do (they point at `crd/`). https://argo-cd.readthedocs.io/en/stable/user-guide/helm/
 */
export class OperatorCrdsArgoApplication extends Construct {
  public readonly apiObject: Application;

  constructor(scope: Construct, id: string, props: OperatorCrdsArgoApplicationProps) {
    super(scope, id);
    const source = crdsChartSource(props.version);
    const name = crdsReleaseName(props.releaseName);
    this.apiObject = new Application(this, 'Resource', {
      metadata: argocdMetadata(name, props.argocdNamespace, Wave.CRDS),
      spec: {
        project: props.project,
        source: { repoUrl: `${source.gitUrl}.git`, targetRevision: source.tag, path: source.path, helm: { releaseName: name } },
        destination: { server: props.destinationServer ?? IN_CLUSTER, namespace: props.namespace },
        // No pruning, ever: a CRD deleted takes every RestateCluster, its namespace and its volumes with it.
        // ServerSideApply: the 2.8.1 RestateCluster CRD (~236 KB as JSON) does not fit the 256 KiB
        // last-applied annotation of a client-side apply.
        syncPolicy: automatedSync({ prune: false, syncOptions: ['ServerSideApply=true'] }),
      },
    });
  }
}
