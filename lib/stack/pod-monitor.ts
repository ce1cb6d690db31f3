import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { SYNC_WAVE, Wave } from './argocd-annotations';
import { clusterPodLabels } from '../target/operator-names';

export interface RestatePodMonitorProps {
  /** The RestateCluster whose pods to scrape; also the namespace they run in. */
  readonly clusterName: string;

  /**
   * Where the PodMonitor lives. Not the cluster namespace: the operator creates that one, and nothing of ours
   * may exist in it before the operator does.
   */
  readonly namespace: string;

  /**
   * Scrape interval.
   * @default "30s"
   */
  readonly interval?: string;

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
  public readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: RestatePodMonitorProps) {
    super(scope, id);
    const interval = props.interval ?? '30s';
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
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
