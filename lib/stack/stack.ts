import { App, Chart } from 'cdk8s';
import { RestateCluster } from './cluster';
import { credentialEnv, serviceAccountAnnotations } from './cluster-credentials';
import { egressRules, metricsPeers } from './cluster-network';
import { RestateOperator } from './operator';
import { RestatePodMonitor } from './pod-monitor';
import { clusterPlacement } from './placement';
import { ProvisioningJob } from './provisioning/job';
import { provisioningPeer } from './provisioning/names';
import { renderRestateConfig, restateServerConfig } from './restate-config';
import { parseGoDuration, sizeOfBytes } from './units';
import { quantityToBytes, type StackValues } from '../values';
import { ChartIds } from '../target/charts';

export interface RestateStackOptions {
  /**
   * The `helm` program for the `helm` delivery.
   * @default "helm" from PATH
   */
  readonly helmExecutable?: string;
}


/** Whether the target synthesizes the in-cluster provisioning step. */
export function hasProvisioningJob(values: StackValues): boolean {
  // Object-store metadata provisions itself (auto-provision = true): there is nothing to run.
  return values.provisioning.automated && values.metadata.store === 'replicated';
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
    namespace: values.operator.namespace,
    releaseName: values.operator.releaseName,
    delivery: values.operator.delivery,
    chartValues: values.metrics.enabled
      ? { ...values.operator.chartValues, serviceMonitor: { ...values.operator.chartValues.serviceMonitor, enabled: true } }
      : values.operator.chartValues,
    argocd: values.operator.argocd,
    flux: values.operator.flux,
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
    env: credentialEnv(values),
    serviceAccountAnnotations: serviceAccountAnnotations(values),
    egressRules: egressRules(values),
    fabricPeers: [...(provisioning ? [provisioningPeer(values.clusterName, values.operator.namespace)] : []), ...metricsPeers(values)],
    ingressPeers: values.networkPeers?.ingress,
    adminPeers: values.networkPeers?.admin,
    placement: clusterPlacement(values),
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
    });
    last = provisioningChart;
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
  }
}
