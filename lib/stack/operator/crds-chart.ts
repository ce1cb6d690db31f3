/**
 * Where the separate CRDs chart of an operator version lives.
 *
 * At v2.8.1 the CRDs ship as the chart `restate-operator-crds` (charts/restate-operator-crds/Chart.yaml:1-5), a
 * subchart of the operator chart gated by `installCrds` (charts/restate-operator-helm/Chart.yaml:7-11,
 * values.yaml:6) whose `crds/` entries are symlinks into the repository's `crd/` folder. The release workflow
 * pushes only `restate-operator-helm` to the registry (.github/workflows/release.yml:26-34) and attaches the CRD
 * files to the GitHub release (:49-52): the CRDs chart has no registry address of its own. So the GitOps
 * deliveries take it from the repository at the version's tag, and the helm delivery renders it from the operator
 * chart's bundled subchart (charts/restate-operator-crds-2.8.1.tgz in the chart at v2.8.1).
 */
export interface CrdsChartSource {
  /** Git repository of the operator. */
  readonly gitUrl: string;
  /** The tag of the version. */
  readonly tag: string;
  /** Path of the chart inside the repository. */
  readonly path: string;
  /** The files the chart's `crds/` symlinks point at, relative to the repository root. */
  readonly crdFiles: readonly string[];
  /** The CRDs it installs. */
  readonly crdNames: readonly string[];
}

export function crdsChartSource(version: string): CrdsChartSource {
  return {
    gitUrl: 'https://github.com/restatedev/restate-operator',
    tag: `v${version}`,
    path: 'charts/restate-operator-crds',
    crdFiles: ['crd/restateclusters.yaml', 'crd/restatedeployments.yaml', 'crd/restatecloudenvironments.yaml'],
    crdNames: ['restateclusters.restate.dev', 'restatedeployments.restate.dev', 'restatecloudenvironments.restate.dev'],
  };
}

/** The release (and object) name of the CRDs chart beside an operator release. */
export function crdsReleaseName(operatorRelease: string): string {
  return `${operatorRelease}-crds`;
}
