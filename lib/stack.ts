import { App, Chart } from 'cdk8s';
import { RestateCluster } from './cluster';
import { RestateOperator } from './operator';
import { renderRestateConfig, restateServerConfig } from './restate-config';
import { quantityToBytes, type StackValues } from './values';

export interface RestateStackOptions {
  /**
   * The `helm` program for the `helm` delivery.
   * @default "helm" from PATH
   */
  readonly helmExecutable?: string;
}

/** File names in a target folder follow chart ids; their order is the apply order. */
export const ChartIds = {
  OPERATOR: 'operator',
  CLUSTER: 'cluster',
  PROVISIONING: 'provisioning',
} as const;

/**
 * Composes one target (an environment on a provider) into `app`: the operator first, then the cluster.
 * Chart dependencies number the files (`0000-operator.k8s.yaml`, `0001-cluster.k8s.yaml`, …), so applying a
 * target folder in file order applies the operator and its CRDs before the RestateCluster.
 */
export function buildStack(app: App, values: StackValues, options: RestateStackOptions = {}): void {
  const operatorChart = new Chart(app, ChartIds.OPERATOR, { disableResourceNameHashes: true });
  new RestateOperator(operatorChart, 'Operator', {
    chart: values.operator.chart,
    version: values.operator.version,
    namespace: values.operator.namespace,
    releaseName: values.operator.releaseName,
    delivery: values.operator.delivery,
    chartValues: values.operator.chartValues,
    argocd: values.operator.argocd,
    flux: values.operator.flux,
    helmExecutable: options.helmExecutable,
  });

  const clusterChart = new Chart(app, ChartIds.CLUSTER, { disableResourceNameHashes: true });
  clusterChart.addDependency(operatorChart);
  new RestateCluster(clusterChart, 'Cluster', {
    name: values.clusterName,
    image: values.image,
    replicas: values.replicas,
    storageRequestBytes: quantityToBytes(values.storage.size),
    storageClassName: values.storage.storageClassName,
    config: renderRestateConfig(restateServerConfig(values)),
    resources: values.resources,
  });
}
