import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { SYNC_WAVE, Wave } from '../argocd-annotations';
import type { AlertRule } from './rules';

export interface RestateDashboardProps {
  /** The RestateCluster the dashboard shows; names the ConfigMap and the dashboard's uid. */
  readonly clusterName: string;

  /** Where the ConfigMap lives: a namespace Grafana's dashboard sidecar watches. */
  readonly namespace: string;

  /** The label (or labels) the sidecar picks dashboards up by, e.g. `grafana_dashboard: "1"` (kube-prometheus-stack). */
  readonly labels: Record<string, string>;

  /** One panel per rule, on the quantity it compares (`signal`): the same signals and the same per-version forms. */
  readonly rules: readonly AlertRule[];
}

/** Panels two abreast, 12 of Grafana's 24 columns wide and 8 rows high. */
const WIDTH = 12;
const HEIGHT = 8;

/** The dashboard model (Grafana's JSON), with a Prometheus data source variable: deterministic, keys in fixed order. */
export function dashboardModel(clusterName: string, rules: readonly AlertRule[]): Record<string, unknown> {
  return {
    title: `Restate ${clusterName}`,
    uid: `restate-${clusterName}`.slice(0, 40),
    tags: ['restate', 'restate-stack'],
    timezone: 'utc',
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' }],
    },
    panels: rules.map((rule, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: rule.annotations.summary,
      description: `${rule.annotations.description} Alert ${rule.alert}: ${rule.annotations.runbook_url}`,
      datasource: { type: 'prometheus', uid: '$datasource' },
      gridPos: { x: (index % 2) * WIDTH, y: Math.floor(index / 2) * HEIGHT, w: WIDTH, h: HEIGHT },
      targets: [{ refId: 'A', expr: rule.signal, datasource: { type: 'prometheus', uid: '$datasource' } }],
    })),
  };
}

/**
 * A Grafana dashboard as a ConfigMap that Grafana's dashboard sidecar loads (by its label, in a namespace it
 * watches): one panel per alert the target ships, on the quantity the alert compares with its threshold.
 */
export class RestateDashboard extends Construct {
  public readonly apiObject: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: RestateDashboardProps) {
    super(scope, id);
    const name = `${props.clusterName}-dashboard`;
    this.apiObject = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name, namespace: props.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: Wave.MONITORING } },
      data: { [`${name}.json`]: `${JSON.stringify(dashboardModel(props.clusterName, props.rules), null, 2)}\n` },
    });
  }
}
