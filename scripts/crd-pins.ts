/**
 * The upstream CRD files `npm run import` reads, and the sha256 the project accepts for each: the project's own
 * record of where its generated imports/ come from. Each sha256 was computed here from the file at its tag in a clone
 * of the upstream repository (`git show <tag>:<path> | sha256sum`); a source whose bytes differ is refused by name.
 *
 * To move to another release: change the tag in the URLs, put the new file's sha256 here (from that tag, never
 * from the download the import is about to check), run `npm run import`, and review the diff of imports/ and dist/.
 */

/** One file the import reads. */
export interface CrdFilePin {
  /** Its path under a CRDs folder or mirror (`npm run import -- --from DIR|URL`), as `../shared/crds` lays them out. */
  readonly file: string;
  /** The file at the tag upstream: what `--from upstream` downloads. Two URLs are joined by a line `---`, in order. */
  readonly upstream: readonly string[];
  /** sha256 of the file's bytes (for two URLs: of their join). */
  readonly sha256: string;
  /** The kinds of the CustomResourceDefinitions it holds, in order; a file holding others is refused. */
  readonly kinds: readonly string[];
}

/** One generated module, imports/crds/<module>.ts: the CRDs of one API group at one upstream tag. */
export interface CrdModulePin {
  /** `<group>-<tag>` */
  readonly module: string;
  readonly group: string;
  readonly files: readonly CrdFilePin[];
}

const RAW = 'https://raw.githubusercontent.com';
const OPERATOR = `${RAW}/restatedev/restate-operator`;
const FLUX = `${RAW}/fluxcd`;
const PROMETHEUS_CRDS = `${RAW}/prometheus-operator/prometheus-operator/v0.93.0/example/prometheus-operator-crd`;

export const CRD_PINS: readonly CrdModulePin[] = [
  {
    // chart 1.7.4 installs these two from its crds/ folder (symlinks into crd/)
    module: 'restate.dev-v1.7.4',
    group: 'restate.dev',
    files: [
      {
        file: 'restate-operator-1.7.4-restateclusters.yaml',
        upstream: [`${OPERATOR}/v1.7.4/crd/restateclusters.yaml`],
        sha256: 'e9c1bd7312a8a80db07fa591d2f39464e9c854916a45883cd68f9dffafcd3674',
        kinds: ['RestateCluster'],
      },
      {
        file: 'restate-operator-1.7.4-restatedeployments.yaml',
        upstream: [`${OPERATOR}/v1.7.4/crd/restatedeployments.yaml`],
        sha256: '0b680356b78c27f6c2128f598dfa5150939d425281aec7f0017725ecd0e35f41',
        kinds: ['RestateDeployment'],
      },
    ],
  },
  {
    // the chart restate-operator-crds 2.8.1 installs these three from its crds/ folder (symlinks into crd/)
    module: 'restate.dev-v2.8.1',
    group: 'restate.dev',
    files: [
      {
        file: 'restate-operator-2.8.1-restateclusters.yaml',
        upstream: [`${OPERATOR}/v2.8.1/crd/restateclusters.yaml`],
        sha256: 'f8fa6a9f6cb0233b90e7a8860f62fd6c6cd6b0633776b9a269496ffe9d1fb5a5',
        kinds: ['RestateCluster'],
      },
      {
        file: 'restate-operator-2.8.1-restatedeployments.yaml',
        upstream: [`${OPERATOR}/v2.8.1/crd/restatedeployments.yaml`],
        sha256: 'a8de718e448c99856303553403dce047ed884b26dd0312cd36d9c5a1dda45dfa',
        kinds: ['RestateDeployment'],
      },
      {
        file: 'restate-operator-2.8.1-restatecloudenvironments.yaml',
        upstream: [`${OPERATOR}/v2.8.1/crd/restatecloudenvironments.yaml`],
        sha256: 'c63f92508ec4a3862ee399f629fab58f63813d02de08d190e63c2c772f15c01b',
        kinds: ['RestateCloudEnvironment'],
      },
    ],
  },
  {
    module: 'argoproj.io-v3.5.1',
    group: 'argoproj.io',
    files: [
      {
        // one file because `cdk8s import` writes one module per API group
        file: 'argo-cd-v3.5.1/application-and-appproject-crds.yaml',
        upstream: [
          `${RAW}/argoproj/argo-cd/v3.5.1/manifests/crds/application-crd.yaml`,
          `${RAW}/argoproj/argo-cd/v3.5.1/manifests/crds/appproject-crd.yaml`,
        ],
        sha256: '3aa97ee0efd93b7f07dbbfa1d75a941665ed7b12c58acb7d182eda6aab924218',
        kinds: ['Application', 'AppProject'],
      },
    ],
  },
  {
    module: 'source.toolkit.fluxcd.io-v1.9.1',
    group: 'source.toolkit.fluxcd.io',
    files: [
      {
        file: 'flux-source-controller-v1.9.1/source.toolkit.fluxcd.io_gitrepositories.yaml',
        upstream: [`${FLUX}/source-controller/v1.9.1/config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml`],
        sha256: '39a5a46c81539c992abc53f9be3e5434cd70d50a10d169b1e8a450e0df1c9d09',
        kinds: ['GitRepository'],
      },
      {
        file: 'flux-source-controller-v1.9.1/source.toolkit.fluxcd.io_ocirepositories.yaml',
        upstream: [`${FLUX}/source-controller/v1.9.1/config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml`],
        sha256: '2655834d468e46a533410d9e2bc3f4e7cbf9b4c922b95652012acb09bfb2545a',
        kinds: ['OCIRepository'],
      },
    ],
  },
  {
    module: 'helm.toolkit.fluxcd.io-v1.6.3',
    group: 'helm.toolkit.fluxcd.io',
    files: [
      {
        file: 'flux-helm-controller-v1.6.3/helm.toolkit.fluxcd.io_helmreleases.yaml',
        upstream: [`${FLUX}/helm-controller/v1.6.3/config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml`],
        sha256: 'aa8638ac68465ceac1f93a617baf5be833c589c51fd78a7384a4a274c252becc',
        kinds: ['HelmRelease'],
      },
    ],
  },
  {
    module: 'kustomize.toolkit.fluxcd.io-v1.9.4',
    group: 'kustomize.toolkit.fluxcd.io',
    files: [
      {
        file: 'flux-kustomize-controller-v1.9.4/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
        upstream: [`${FLUX}/kustomize-controller/v1.9.4/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml`],
        sha256: 'da23ca0e6b4c80d3d26a91583137491e147ef4ef1e2208aece0d0af4ef851974',
        kinds: ['Kustomization'],
      },
    ],
  },
  {
    module: 'monitoring.coreos.com-v0.93.0',
    group: 'monitoring.coreos.com',
    files: [
      {
        file: 'prometheus-operator-v0.93.0/monitoring.coreos.com_podmonitors.yaml',
        upstream: [`${PROMETHEUS_CRDS}/monitoring.coreos.com_podmonitors.yaml`],
        sha256: '45a93443daa687d3654f7e9631909ff7edcdf3ec09c5e60251b74aa2722aee5d',
        kinds: ['PodMonitor'],
      },
      {
        file: 'prometheus-operator-v0.93.0/monitoring.coreos.com_prometheusrules.yaml',
        upstream: [`${PROMETHEUS_CRDS}/monitoring.coreos.com_prometheusrules.yaml`],
        sha256: '78be98554b9c8506ab2b4f4feb91c5f3a56e536a0a510f3a8e876a459970d56d',
        kinds: ['PrometheusRule'],
      },
    ],
  },
];
