import { ApiObject } from 'cdk8s';
import {
  HelmRelease,
  HelmReleaseSpecChartSpecReconcileStrategy,
  HelmReleaseSpecChartSpecSourceRefKind,
  HelmReleaseSpecInstallCrds,
  HelmReleaseSpecUpgradeCrds,
} from '../../../imports/helm.toolkit.fluxcd.io';
import { GitRepository } from '../../../imports/source.toolkit.fluxcd.io';
import { Construct } from 'constructs';
import { SYNC_WAVE, Wave } from '../argocd-annotations';
import { crdsChartSource, crdsReleaseName } from './crds-chart';

export interface OperatorCrdsFluxReleaseProps {
  /** Version of the CRDs chart (its tag in the operator's repository). */
  readonly version: string;
  /** The operator's release name; the GitRepository and HelmRelease are called `<release>-crds`. */
  readonly releaseName: string;
  /** The operator's namespace (`targetNamespace`). */
  readonly namespace: string;
  /** Namespace of the GitRepository and HelmRelease. */
  readonly fluxNamespace: string;
  /** Reconcile interval (a Go duration). */
  readonly interval: string;
}

/**
 * A Flux GitRepository of the operator's repository at the version's tag and a HelmRelease of its CRDs chart. The
 * operator's HelmRelease names this one in `dependsOn`, so Flux installs the CRDs before the operator.
 *
 * The GitRepository's `ignore` keeps only the chart and the `crd/*.yaml` files its `crds/` symlinks point at, so the
 * artifact stays small and the links resolve inside it. Helm installs `crds/` only on install; `CreateReplace`
 * makes the helm-controller replace them on upgrade too. https://fluxcd.io/flux/components/helm/helmreleases/#crds
 * https://fluxcd.io/flux/components/source/gitrepositories/#ignore
 */
export class OperatorCrdsFluxRelease extends Construct {
  public readonly apiObjects: readonly ApiObject[];
  /** Name of the HelmRelease, for the operator's `dependsOn`. */
  public readonly releaseName: string;

  constructor(scope: Construct, id: string, props: OperatorCrdsFluxReleaseProps) {
    super(scope, id);
    const source = crdsChartSource(props.version);
    const name = crdsReleaseName(props.releaseName);
    this.releaseName = name;
    const metadata = () => ({ name, namespace: props.fluxNamespace, annotations: { [SYNC_WAVE]: Wave.CRDS } });
    // gitignore rules: a file is only re-included when its folder is; so folders first, then their contents.
    const rules = ['/*', '!/charts/', '/charts/*', `!/${source.path}/`, '!/crd/', '/crd/*', ...source.crdFiles.map((f) => `!/${f}`)];
    const ignore = `${rules.join('\n')}\n`;
    const repository = new GitRepository(this, 'GitRepository', {
      metadata: metadata(),
      spec: { interval: props.interval, url: source.gitUrl, ref: { tag: source.tag }, ignore },
    });
    const release = new HelmRelease(this, 'HelmRelease', {
      metadata: metadata(),
      spec: {
        interval: props.interval,
        chart: {
          spec: {
            chart: `./${source.path}`,
            sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.GIT_REPOSITORY, name, namespace: props.fluxNamespace },
            reconcileStrategy: HelmReleaseSpecChartSpecReconcileStrategy.REVISION,
          },
        },
        releaseName: name,
        targetNamespace: props.namespace,
        install: { createNamespace: true, crds: HelmReleaseSpecInstallCrds.CREATE_REPLACE },
        upgrade: { crds: HelmReleaseSpecUpgradeCrds.CREATE_REPLACE },
      },
    });
    this.apiObjects = [repository, release];
  }
}
