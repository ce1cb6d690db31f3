import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as monitoring from '../../imports/monitoring.coreos.com';
import { SYNC_WAVE, Wave } from './argocd-annotations';
import { clusterPodLabels } from '../target-folder/operator-names';
import { prometheusDuration } from './units';

export interface RestatePodMonitorProps {
  /** The RestateCluster whose pods to scrape; also the namespace they run in. */
  readonly clusterName: string;

  /**
   * Where the PodMonitor lives. Not the cluster namespace: the operator creates that one, and nothing of ours
   * may exist in it before the operator does.
   */
  readonly namespace: string;

  /**
   * Scrape interval (written as the Prometheus Operator's duration, e.g. `30s`, `1m30s`; whole milliseconds).
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;

  /**
   * Labels on the PodMonitor, for the `podMonitorSelector` of your Prometheus.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Prometheus Operator PodMonitor for the Restate pods, which serve Prometheus metrics on the fabric port
 * (5122, container port name `metrics`) at `/metrics`. It selects the pods by the labels the operator puts on
 * everything it creates (`app.kubernetes.io/name: restate`, `app.kubernetes.io/instance: <cluster>`).
 */
export class RestatePodMonitor extends Construct {
  /** The PodMonitor object (the class `cdk8s import` generated from the Prometheus Operator's CRD). */
  public readonly apiObject: monitoring.PodMonitor;

  constructor(scope: Construct, id: string, props: RestatePodMonitorProps) {
    super(scope, id);
    const interval = prometheusDuration(props.interval ?? Duration.seconds(30));
    this.apiObject = new monitoring.PodMonitor(this, 'Resource', {
      metadata: {
        name: props.clusterName,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { [SYNC_WAVE]: Wave.MONITORING },
      },
      spec: {
        namespaceSelector: { matchNames: [props.clusterName] },
        selector: { matchLabels: clusterPodLabels(props.clusterName) },
        podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval }],
      },
    });
  }
}
