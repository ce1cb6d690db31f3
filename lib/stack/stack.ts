import { App, Chart } from 'cdk8s';
import { RestateCluster } from './cluster';
import { credentialEnv, serviceAccountAnnotations } from './cluster-credentials';
import { egressRules, metricsPeers } from './cluster-network';
import { type OperatorChartValues, RestateOperator } from './operator';
import { RestatePodMonitor } from './pod-monitor';
import { RestatePrometheusRule } from './alerts/prometheus-rule';
import { alertRules } from './alerts/rules';
import { RestateDashboard } from './alerts/dashboard';
import { locationEnv, topologySpread } from './locality';
import { clusterPlacement } from './placement';
import { ProvisioningJob } from './provisioning/job';
import { provisioningPeer } from './provisioning/names';
import { DrainJob } from './day-two/drain-job';
import { drainPeer } from './day-two/drain-names';
import { renderRestateConfig, restateServerConfig } from './restate-config';
import { parseGoDuration, sizeOfBytes } from './units';
import {
  crdsChartVersion,
  operatorFeatures,
  operatorVersion,
  provisioner,
  quantityToBytes,
  renderReplication,
  type StackValues,
} from '../values';
import { clusterPodLabels } from '../target-folder/operator-names';
import { ChartIds } from '../target-folder/charts';
import { gitOpsMarks } from './gitops/marks';

export interface RestateStackOptions {
  /**
   * The `helm` program for the `helm` delivery.
   * @default "helm" from PATH
   */
  readonly helmExecutable?: string;
}

/** Whether the target synthesizes the in-cluster provisioning step. */
export function hasProvisioningJob(values: StackValues): boolean {
  // Object-store metadata provisions itself (auto-provision = true): there is nothing to run. With operator 2.8.1
  // the operator provisions (spec.cluster.autoProvision) unless `provisioning.by: job` keeps the Job.
  return provisioner(values) === 'job';
}

/** The operator chart's values: the user's, plus the ServiceMonitor with metrics and, for 2.8.1, the DNS domain. */
function operatorChartValues(values: StackValues): OperatorChartValues {
  const chartValues: OperatorChartValues = values.metrics.enabled
    ? { ...values.operator.chartValues, serviceMonitor: { ...values.operator.chartValues.serviceMonitor, enabled: true } }
    : values.operator.chartValues;
  // The 2.8.1 operator dials restate-0 under CLUSTER_DNS to provision (provisioning.rs:119 at v2.8.1), cluster.local
  // unless the chart's clusterDns says otherwise (values.yaml:21, templates/deployment.yaml:75-78).
  const domain = values.clusterDomain;
  return operatorFeatures(values).autoProvision && domain !== undefined && domain !== 'cluster.local'
    ? { ...chartValues, clusterDns: domain }
    : chartValues;
}

/**
 * Composes one target (an environment on a provider) into `app`: the operator first, then the cluster, then
 * the optional provisioning step and PodMonitor. Chart dependencies number the files (`0000-operator.k8s.yaml`,
 * `0001-cluster.k8s.yaml`, …), so applying a target folder in file order applies the operator and its CRDs
 * before the RestateCluster.
 */
export function buildStack(app: App, values: StackValues, options: RestateStackOptions = {}): void {
  const operatorChart = new Chart(app, ChartIds.OPERATOR, { disableResourceNameHashes: true });
  new RestateOperator(operatorChart, 'Operator', {
    chart: values.operator.chart,
    version: values.operator.version,
    crdsVersion: crdsChartVersion(values),
    namespace: values.operator.namespace,
    releaseName: values.operator.releaseName,
    delivery: values.operator.delivery,
    chartValues: operatorChartValues(values),
    argocd: values.operator.argocd,
    flux: values.operator.flux,
    podSecurityLevel: values.operator.podSecurityLevel,
    helmExecutable: options.helmExecutable,
  });

  const provisioning = hasProvisioningJob(values);
  const clusterChart = new Chart(app, ChartIds.CLUSTER, { disableResourceNameHashes: true });
  clusterChart.addDependency(operatorChart);
  new RestateCluster(clusterChart, 'Cluster', {
    name: values.clusterName,
    image: values.image,
    replicas: values.replicas,
    storageRequest: sizeOfBytes(quantityToBytes(values.storage.size)),
    storageClassName: values.storage.storageClassName,
    config: renderRestateConfig(restateServerConfig(values)),
    resources: values.resources,
    env: [...credentialEnv(values), ...locationEnv(values)],
    serviceAccountAnnotations: serviceAccountAnnotations(values),
    egressRules: egressRules(values),
    fabricPeers: [
      ...(provisioning ? [provisioningPeer(values.clusterName, values.operator.namespace)] : []),
      ...(values.scaleIn ? [drainPeer(values.clusterName, values.operator.namespace)] : []),
      ...metricsPeers(values),
    ],
    ingressPeers: values.networkPeers?.ingress,
    adminPeers: values.networkPeers?.admin,
    placement: clusterPlacement(values),
    operatorVersion: operatorVersion(values),
    autoProvision: provisioner(values) === 'operator',
    topologySpreadConstraints: topologySpread(values)?.map((c) => ({
      ...c,
      maxSkew: c.maxSkew ?? 1,
      labelSelector: { matchLabels: clusterPodLabels(values.clusterName) },
    })),
    gitOpsMarks: gitOpsMarks(values),
  });

  let last = clusterChart;
  if (provisioning) {
    const provisioningChart = new Chart(app, ChartIds.PROVISIONING, { disableResourceNameHashes: true });
    provisioningChart.addDependency(last);
    new ProvisioningJob(provisioningChart, 'Provisioning', {
      clusterName: values.clusterName,
      namespace: values.operator.namespace,
      image: values.image,
      clusterDomain: values.clusterDomain,
      replicas: values.replicas,
      replication: renderReplication(values.restate.defaultReplication),
    });
    last = provisioningChart;
  }

  if (values.scaleIn) {
    const dayTwoChart = new Chart(app, ChartIds.DAY_TWO, { disableResourceNameHashes: true });
    dayTwoChart.addDependency(last);
    new DrainJob(dayTwoChart, 'Drain', {
      clusterName: values.clusterName,
      scaleIn: values.scaleIn,
      namespace: values.operator.namespace,
      image: values.image,
      clusterDomain: values.clusterDomain,
    });
    last = dayTwoChart;
  }

  if (values.metrics.enabled) {
    const monitoringChart = new Chart(app, ChartIds.MONITORING, { disableResourceNameHashes: true });
    monitoringChart.addDependency(last);
    new RestatePodMonitor(monitoringChart, 'PodMonitor', {
      clusterName: values.clusterName,
      namespace: values.metrics.podMonitor.namespace,
      interval: parseGoDuration(values.metrics.podMonitor.interval),
      labels: values.metrics.podMonitor.labels,
    });
    const rules = alertRules(values);
    new RestatePrometheusRule(monitoringChart, 'PrometheusRule', {
      clusterName: values.clusterName,
      namespace: values.metrics.podMonitor.namespace,
      rules,
      labels: values.metrics.podMonitor.labels,
    });
    new RestateDashboard(monitoringChart, 'Dashboard', {
      clusterName: values.clusterName,
      namespace: values.metrics.dashboard.namespace,
      labels: values.metrics.dashboard.labels,
      rules,
    });
  }
}
