import { App, Chart, Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { crdsChartVersion, operatorVersion, type StackValues } from '../../values';
import { ChartIds } from '../../target-folder/charts';
import { ARGOCD_FOLDER, FLUX_FOLDER, SOPS_SECRET_FILE } from '../../target-folder/files';
import { OPERATOR_CRDS, OPERATOR_DEPLOYMENT, STATEFULSET } from '../../target-folder/operator-names';
import { isClusterScoped } from '../operator/scope';
import { parseOciChartRef } from '../operator/chart-ref';
import { crdsChartSource } from '../operator/crds-chart';
import { provisioningNames } from '../provisioning/names';
import { ArgoTargetProject, type GroupKind } from './app-project';
import { ArgoHealthPatch } from './argocd-cm-patch';
import { ArgoCredentialsApplication } from './credentials-application';
import { type FluxHealthCheck, FluxStepKustomization } from './flux-kustomization';
import { drainNames } from '../day-two/drain-names';
import { ArgoTargetApplication } from './target-application';
import { argoApplicationName, fluxStepName, gitOpsTools } from './tools';

/** A file synth writes into a target folder's argocd/ or flux/ subfolder. */
export interface GitOpsFile {
  /** Relative to the target folder, e.g. `flux/cluster/kustomization.yaml`. */
  readonly path: string;
  readonly text: string;
}

/** What a synthesized target folder holds, as the GitOps entries need it. */
export interface SynthesizedTarget {
  readonly values: StackValues;
  /** The folder relative to the output folder, e.g. `dev/vultr`. */
  readonly folder: string;
  /** Chart id → file name (`0000-operator.k8s.yaml`, …), for the charts the target has. */
  readonly chartFiles: ReadonlyMap<string, string>;
  /** Whether the folder holds the SOPS-encrypted credentials Secret. */
  readonly sopsSecret: boolean;
  /** Every object of the chart files. */
  readonly objects: ReadonlyArray<{ readonly apiVersion: string; readonly kind: string; readonly namespace?: string }>;
}

/** The Secret in the Flux namespace holding the age (or other SOPS) private key. */
export const FLUX_SOPS_SECRET = 'sops-age';

/**
 * The kinds operator chart 1.7.4 renders (its templates at tag v1.7.4 of restatedev/restate-operator): with the
 * argocd delivery Argo CD renders them in the cluster, so they are not in the target folder, but the project
 * must allow them.
 */
const OPERATOR_CHART_KINDS: readonly GroupKind[] = [
  { group: '', kind: 'ServiceAccount' },
  { group: '', kind: 'Service' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
  // CreateNamespace=true: Argo CD creates the operator namespace
  { group: '', kind: 'Namespace' },
];

/**
 * What chart 2.8.1 renders beyond 1.7.4's kinds: a namespaced Role and RoleBinding for the operator
 * (charts/restate-operator-helm/templates/rbac.yaml:171 and :196 at v2.8.1). Its CRDs chart renders only
 * CustomResourceDefinitions.
 */
const OPERATOR_CHART_281_KINDS: readonly GroupKind[] = [
  { group: 'rbac.authorization.k8s.io', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
];

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

function yamlOf(chart: Chart): string {
  return Yaml.stringify(...chart.toJson());
}

/** The entries that let Argo CD and/or Flux deploy a synthesized target on their own (docs/gitops.md). */
export function gitOpsFiles(target: SynthesizedTarget): GitOpsFile[] {
  const tools = gitOpsTools(target.values);
  return [...(tools.argocd ? argoCdFiles(target) : []), ...(tools.flux ? fluxFiles(target) : [])];
}

function repoPath(target: SynthesizedTarget, ...rest: string[]): string {
  return [target.values.gitops.path, target.folder, ...rest].filter((part) => part !== '').join('/');
}

function argoCdFiles(target: SynthesizedTarget): GitOpsFile[] {
  const { values } = target;
  const argocd = values.operator.argocd;
  const app = new App();
  const common = {
    argocdNamespace: argocd.namespace,
    project: argocd.project,
    repoURL: values.gitops.repoURL,
    revision: values.gitops.revision,
    destinationServer: argocd.destinationServer,
  };

  const applications = new Chart(app, 'applications', { disableResourceNameHashes: true });
  new ArgoTargetApplication(applications, 'Target', {
    ...common,
    name: argoApplicationName(values),
    path: repoPath(target),
    destinationNamespace: values.operator.namespace,
    exclude: target.sopsSecret ? SOPS_SECRET_FILE : undefined,
  });
  if (target.sopsSecret) {
    new ArgoCredentialsApplication(applications, 'Credentials', {
      ...common,
      name: `${argoApplicationName(values)}-credentials`,
      path: repoPath(target, ARGOCD_FOLDER, 'credentials'),
      namespace: values.clusterName,
    });
  }

  const kinds: GroupKind[] = target.objects.map((o) => ({ group: groupOf(o.apiVersion), kind: o.kind }));
  const namespaces = [values.operator.namespace, ...target.objects.flatMap((o) => (o.namespace ? [o.namespace] : []))];
  const sourceRepos = [values.gitops.repoURL];
  if (values.operator.delivery === 'argocd') {
    kinds.push(...OPERATOR_CHART_KINDS);
    if (operatorVersion(values) === '2.8.1') kinds.push(...OPERATOR_CHART_281_KINDS);
    if (values.metrics.enabled) kinds.push({ group: 'monitoring.coreos.com', kind: 'ServiceMonitor' });
    sourceRepos.push(parseOciChartRef(values.operator.chart).repository);
    // The CRDs chart's Application reads the operator's Git repository (crds-argocd-application.ts).
    const crds = crdsChartVersion(values);
    if (crds !== undefined) sourceRepos.push(`${crdsChartSource(crds).gitUrl}.git`);
  }
  if (target.sopsSecret) {
    kinds.push({ group: '', kind: 'Secret' });
    namespaces.push(values.clusterName);
  }
  const project = new Chart(app, 'appproject', { disableResourceNameHashes: true });
  new ArgoTargetProject(project, 'Project', {
    name: argocd.project,
    argocdNamespace: argocd.namespace,
    sourceRepos,
    destinationServer: argocd.destinationServer,
    namespaces,
    clusterKinds: kinds.filter((k) => isClusterScoped(k.kind) || (k.group === 'restate.dev' && k.kind === 'RestateCluster')),
    namespacedKinds: kinds.filter((k) => !(isClusterScoped(k.kind) || (k.group === 'restate.dev' && k.kind === 'RestateCluster'))),
  });

  const patch = new Chart(app, 'argocd-cm', { disableResourceNameHashes: true });
  new ArgoHealthPatch(patch, 'Health', { argocdNamespace: argocd.namespace });

  const files: GitOpsFile[] = [
    { path: `${ARGOCD_FOLDER}/application.yaml`, text: yamlOf(applications) },
    { path: `${ARGOCD_FOLDER}/appproject.yaml`, text: yamlOf(project) },
    { path: `${ARGOCD_FOLDER}/patches/argocd-cm.yaml`, text: yamlOf(patch) },
  ];
  if (target.sopsSecret) {
    files.push(
      {
        path: `${ARGOCD_FOLDER}/credentials/kustomization.yaml`,
        text: stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', generators: ['secret-generator.yaml'] }),
      },
      {
        path: `${ARGOCD_FOLDER}/credentials/secret-generator.yaml`,
        text: stringify({
          apiVersion: 'viaduct.ai/v1',
          kind: 'ksops',
          metadata: {
            name: `${values.clusterName}-credentials`,
            annotations: { 'config.kubernetes.io/function': 'exec:\n  path: ksops\n' },
          },
          files: [`../../${SOPS_SECRET_FILE}`],
        }),
      },
    );
  }
  return files;
}

interface FluxStep {
  readonly step: string;
  readonly files: readonly string[];
  readonly healthChecks: readonly FluxHealthCheck[];
  readonly prune: boolean;
  readonly force?: boolean;
  readonly sops?: boolean;
}

/** The steps of a target under Flux, in order; each depends on the one before it. */
export function fluxSteps(target: SynthesizedTarget): FluxStep[] {
  const { values } = target;
  const file = (chart: string) => target.chartFiles.get(chart);
  const steps: FluxStep[] = [];
  const operatorFile = file(ChartIds.OPERATOR);
  if (operatorFile) {
    steps.push({
      step: 'operator',
      files: [operatorFile],
      prune: true,
      healthChecks: [
        ...(values.operator.delivery === 'flux'
          ? [
              {
                apiVersion: 'helm.toolkit.fluxcd.io/v2',
                kind: 'HelmRelease',
                name: values.operator.releaseName,
                namespace: values.operator.flux.namespace,
              },
            ]
          : []),
        ...OPERATOR_CRDS.map((name) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name })),
        { apiVersion: 'apps/v1', kind: 'Deployment', name: OPERATOR_DEPLOYMENT, namespace: values.operator.namespace },
      ],
    });
  }
  // The operator creates the cluster's namespace when it first reconciled the RestateCluster: what lives in it
  // can only come after. Not the RestateCluster's Ready: that needs the credentials and the provisioning below.
  steps.push({
    step: 'cluster',
    files: [file(ChartIds.CLUSTER)!],
    prune: false,
    healthChecks: [{ apiVersion: 'v1', kind: 'Namespace', name: values.clusterName }],
  });
  if (target.sopsSecret) steps.push({ step: 'credentials', files: [SOPS_SECRET_FILE], prune: true, sops: true, healthChecks: [] });
  const provisioningFile = file(ChartIds.PROVISIONING);
  if (provisioningFile) {
    steps.push({
      step: 'provisioning',
      files: [provisioningFile],
      prune: true,
      // The Job's template is immutable: a changed one is recreated (running provisioning again is safe).
      force: true,
      healthChecks: [
        { apiVersion: 'batch/v1', kind: 'Job', name: provisioningNames(values.clusterName).job, namespace: values.operator.namespace },
        // Ready replicas == replicas, as the RestateCluster's Ready under 1.7.4: the cluster serves.
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: STATEFULSET, namespace: values.clusterName },
      ],
    });
  }
  // The first commit of a scale-in (values scaleIn): the drain Job, once the cluster serves; the commit that lowers
  // `replicas` waits for the Job to have completed (docs/operations.md, "Scale in").
  const dayTwoFile = file(ChartIds.DAY_TWO);
  if (dayTwoFile && values.scaleIn) {
    steps.push({
      step: 'day-two',
      files: [dayTwoFile],
      prune: true,
      // A Job's template is immutable: a changed one is recreated (the drain is idempotent).
      force: true,
      healthChecks: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: drainNames(values.clusterName, values.scaleIn).job,
          namespace: values.operator.namespace,
        },
      ],
    });
  }
  const monitoringFile = file(ChartIds.MONITORING);
  if (monitoringFile) steps.push({ step: 'monitoring', files: [monitoringFile], prune: true, healthChecks: [] });
  return steps;
}

function fluxFiles(target: SynthesizedTarget): GitOpsFile[] {
  const { values } = target;
  const flux = values.operator.flux;
  const app = new App();
  const chart = new Chart(app, 'kustomizations', { disableResourceNameHashes: true });
  const steps = fluxSteps(target);
  steps.forEach((step, index) => {
    new FluxStepKustomization(chart, step.step, {
      name: fluxStepName(values, step.step),
      fluxNamespace: flux.namespace,
      gitRepository: flux.gitRepository,
      path: `./${repoPath(target, FLUX_FOLDER, step.step)}`,
      interval: flux.interval,
      dependsOn: index > 0 ? [fluxStepName(values, steps[index - 1]!.step)] : [],
      healthChecks: step.healthChecks,
      prune: step.prune,
      force: step.force,
      sopsSecret: step.sops ? FLUX_SOPS_SECRET : undefined,
    });
  });
  const kustomization = (resources: readonly string[]) =>
    stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources });
  return [
    // A kustomization.yaml of its own, so that Flux does not walk into the step folders below when it applies this one.
    { path: `${FLUX_FOLDER}/kustomization.yaml`, text: kustomization(['kustomizations.yaml']) },
    { path: `${FLUX_FOLDER}/kustomizations.yaml`, text: yamlOf(chart) },
    ...steps.map((step) => ({
      path: `${FLUX_FOLDER}/${step.step}/kustomization.yaml`,
      text: kustomization(step.files.map((f) => `../../${f}`)),
    })),
  ];
}
