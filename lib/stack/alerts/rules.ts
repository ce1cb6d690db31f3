import { type AlertName, provisioner, quantityToBytes, type RestateSignal, type StackValues, targetAlerts } from '../../values';
import { drainNames } from '../day-two/drain-names';
import { provisioningNames } from '../provisioning/names';
import { parseGoDuration, prometheusDuration } from '../units';

/** One alerting rule, as a Prometheus rule file (and the PrometheusRule's `spec.groups[].rules`) holds it. */
export interface AlertRule {
  readonly alert: AlertName;
  readonly expr: string;
  /** Unset when the alert fires at its first evaluation that finds the condition. */
  readonly for?: string;
  readonly labels: { readonly severity: 'critical' | 'warning' };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
  /** The metrics the expression reads, for the docs and the tests (not written into the rule). */
  readonly metrics: readonly string[];
  /** The quantity the alert compares with its threshold: the query of its dashboard panel. */
  readonly signal: string;
}

/** `0s` is no `for:`; anything else in the Prometheus Operator's duration form. */
function forOf(text: string): string | undefined {
  const duration = parseGoDuration(text);
  return duration.toMilliseconds() === 0 ? undefined : prometheusDuration(duration);
}

const seconds = (text: string) => parseGoDuration(text).toSeconds();

/** A PromQL string literal. */
const quote = (text: string) => JSON.stringify(text);

interface Written {
  readonly expr: string;
  /** The quantity the expression compares, without the threshold: the dashboard panel's query. */
  readonly signal: string;
  readonly metrics: readonly string[];
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

const volumeUsed = (ns: string) => `100 * kubelet_volume_stats_used_bytes{${ns}} / kubelet_volume_stats_capacity_bytes{${ns}}`;

/** The PromQL of each alert on one target; `signal` is the form its Restate version takes (lib/values/alerts.ts). */
function write(name: AlertName, values: StackValues, signal: RestateSignal | undefined): Written {
  const ns = `namespace=${quote(values.clusterName)}`;
  const a = values.metrics.alerts;
  switch (name) {
    case 'RestateNodeDown':
      return {
        expr: `max(restate_failure_detector_nodes_total{${ns},state="dead"}) > 0` + ` or count(up{${ns},container="restate"} == 0) > 0`,
        signal: `max(restate_failure_detector_nodes_total{${ns},state="dead"}) + (count(up{${ns},container="restate"} == 0) or vector(0))`,
        metrics: ['restate_failure_detector_nodes_total', 'up'],
        severity: 'critical',
        summary: 'A Restate node is down',
        description:
          'Restate\'s failure detector counts a node as dead (restate_failure_detector_nodes_total{state="dead"}), ' +
          "or Prometheus cannot scrape a Restate pod's /metrics (up == 0).",
      };
    case 'RestatePodNotReady':
      return {
        expr: `max by (pod) (kube_pod_status_ready{${ns},condition="true"}) == 0`,
        signal: `max by (pod) (kube_pod_status_ready{${ns},condition="true"})`,
        metrics: ['kube_pod_status_ready'],
        severity: 'warning',
        summary: 'A Restate pod is not Ready',
        description: 'kube-state-metrics reports a pod of the cluster not Ready (kube_pod_status_ready).',
      };
    case 'RestatePartitionsWithoutLeader': {
      const leaders =
        signal?.form === 'leader-count'
          ? `sum(restate_num_active_partition_leaders{${ns}})`
          : `count(max by (partition) (restate_partition_is_effective_leader{${ns}}) == 1)`;
      return {
        expr: `max(restate_num_partitions{${ns}}) - (${leaders} or vector(0)) > 0`,
        signal: `max(restate_num_partitions{${ns}}) - (${leaders} or vector(0))`,
        metrics: signal!.metrics,
        severity: 'critical',
        summary: 'Partitions have no active leader',
        description:
          `Fewer partitions have an effective leader than the partition table holds (${signal!.metrics.join(' against ')}): ` +
          'their invocations make no progress.',
      };
    }
    case 'RestateMetadataQuorumAtRisk': {
      const quorum = Math.floor(values.replicas / 2) + 1;
      return {
        expr: `(count(restate_metadata_server_replicated_committed_lsn{${ns}}) or vector(0)) <= ${quorum}`,
        signal: `count(restate_metadata_server_replicated_committed_lsn{${ns}}) or vector(0)`,
        metrics: signal!.metrics,
        severity: 'critical',
        summary: "The metadata store's quorum is at risk",
        description:
          `At most ${quorum} of ${values.replicas} metadata server members report (restate_metadata_server_replicated_committed_lsn): ` +
          `the loss of one more loses the quorum of ${quorum}, and the cluster stops.`,
      };
    }
    case 'RestateSnapshotTooOld': {
      const age =
        signal?.form === 'quantiles'
          ? `restate_partition_snapshot_age_seconds{${ns},quantile="1.0"}`
          : `restate_partition_snapshot_age_seconds{${ns}}`;
      return {
        expr: `max(${age}) > ${seconds(a.snapshotTooOld.maxAge)}`,
        signal: `max(${age})`,
        metrics: signal!.metrics,
        severity: 'warning',
        summary: 'Partition snapshots are too old',
        description:
          `The oldest partition snapshot is older than ${a.snapshotTooOld.maxAge} (restate_partition_snapshot_age_seconds): ` +
          'logs are not trimmed and a new node restores from an old snapshot.',
      };
    }
    case 'RestateVolumeFillingUp':
      return {
        expr: `${volumeUsed(ns)} > ${a.volumeFillingUp.usedPercent}`,
        signal: volumeUsed(ns),
        metrics: ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes'],
        severity: 'warning',
        summary: "A Restate node's volume is filling up",
        description:
          `A volume of the cluster is more than ${a.volumeFillingUp.usedPercent}% full ` +
          "(the kubelet's kubelet_volume_stats_used_bytes against kubelet_volume_stats_capacity_bytes).",
      };
    case 'RestateMemoryNearLimit': {
      const limit = quantityToBytes(values.resources!.limits!.memory!);
      return {
        expr: `100 * max by (pod) (container_memory_working_set_bytes{${ns},container="restate"}) / ${limit} > ${a.memoryNearLimit.usedPercent}`,
        signal: `100 * max by (pod) (container_memory_working_set_bytes{${ns},container="restate"}) / ${limit}`,
        metrics: ['container_memory_working_set_bytes'],
        severity: 'warning',
        summary: 'A Restate node is near its memory limit',
        description:
          `A Restate container's working set is above ${a.memoryNearLimit.usedPercent}% of its limit ` +
          `(${values.resources!.limits!.memory}; cAdvisor's container_memory_working_set_bytes): next comes the OOM kill.`,
      };
    }
    case 'RestateRestartLoop': {
      const window = prometheusDuration(parseGoDuration(a.restartLoop.window));
      const restarts = `max by (pod) (increase(kube_pod_container_status_restarts_total{${ns},container="restate"}[${window}]))`;
      return {
        expr: `${restarts} >= ${a.restartLoop.restarts}`,
        signal: restarts,
        metrics: ['kube_pod_container_status_restarts_total'],
        severity: 'critical',
        summary: 'A Restate node restarts in a loop',
        description:
          `A Restate container restarted at least ${a.restartLoop.restarts} times in ${window} ` +
          '(kube-state-metrics kube_pod_container_status_restarts_total).',
      };
    }
    case 'RestateClusterNotReady':
      return {
        expr: `max(kube_customresource_restatecluster_status_condition{name=${quote(values.clusterName)},type="Ready"}) < 1`,
        signal: `max(kube_customresource_restatecluster_status_condition{name=${quote(values.clusterName)},type="Ready"})`,
        metrics: ['kube_customresource_restatecluster_status_condition'],
        severity: 'critical',
        summary: 'The RestateCluster is not Ready',
        description:
          "The RestateCluster's Ready condition is not True (kube-state-metrics custom resource metric " +
          'kube_customresource_restatecluster_status_condition, configured as docs/runbooks.md#prerequisites says).',
      };
    case 'RestateJobFailed': {
      const jobs = [
        ...(provisioner(values) === 'job' ? [provisioningNames(values.clusterName).job] : []),
        ...(values.scaleIn ? [drainNames(values.clusterName, values.scaleIn).job] : []),
      ];
      return {
        expr: `max by (job_name) (kube_job_status_failed{namespace=${quote(values.operator.namespace)},job_name=~${quote(jobs.join('|'))}}) > 0`,
        signal: `max by (job_name) (kube_job_status_failed{namespace=${quote(values.operator.namespace)},job_name=~${quote(jobs.join('|'))}})`,
        metrics: ['kube_job_status_failed'],
        severity: 'critical',
        summary: 'The provisioning or drain Job failed',
        description: `A Job of the stack (${jobs.join(', ')}) failed (kube-state-metrics kube_job_status_failed).`,
      };
    }
  }
}

/** The `for:` value of each alert. */
function forValue(name: AlertName, values: StackValues): string {
  const a = values.metrics.alerts;
  const key = {
    RestateNodeDown: a.nodeDown,
    RestatePodNotReady: a.podNotReady,
    RestatePartitionsWithoutLeader: a.partitionsWithoutLeader,
    RestateMetadataQuorumAtRisk: a.metadataQuorumAtRisk,
    RestateSnapshotTooOld: a.snapshotTooOld,
    RestateVolumeFillingUp: a.volumeFillingUp,
    RestateMemoryNearLimit: a.memoryNearLimit,
    RestateRestartLoop: a.restartLoop,
    RestateClusterNotReady: a.clusterNotReady,
    RestateJobFailed: a.jobFailed,
  }[name];
  return key.for;
}

/** The alerting rules of one target with metrics: those its server version can feed (lib/values/alerts.ts). Pure. */
export function alertRules(values: StackValues): AlertRule[] {
  return targetAlerts(values).shipped.map(({ name, signal }) => {
    const { expr, signal: panel, metrics, severity, summary, description } = write(name, values, signal);
    const forDuration = forOf(forValue(name, values));
    return {
      alert: name,
      expr,
      ...(forDuration ? { for: forDuration } : {}),
      labels: { severity },
      annotations: { summary, description, runbook_url: `${values.metrics.alerts.runbookBaseUrl}#${name.toLowerCase()}` },
      metrics,
      signal: panel,
    };
  });
}
