import { provisioner } from './operator-choices';
import {
  inSpan,
  RESTATE_METRICS,
  type RestateMetric,
  type RestateVersion,
  restateVersionOfImage,
  showSpan,
  showVersion,
  type VersionSpan,
} from './restate-metrics';
import type { StackValues } from './schema';
import type { Warning } from './warning-ids';

/** The alerts the stack can ship, in the order the PrometheusRule lists them (docs/runbooks.md: one section each). */
export const ALERT_NAMES = [
  'RestateNodeDown',
  'RestatePodNotReady',
  'RestatePartitionsWithoutLeader',
  'RestateMetadataQuorumAtRisk',
  'RestateSnapshotTooOld',
  'RestateVolumeFillingUp',
  'RestateMemoryNearLimit',
  'RestateRestartLoop',
  'RestateClusterNotReady',
  'RestateJobFailed',
] as const;

export type AlertName = (typeof ALERT_NAMES)[number];

/** One way to write an alert on Restate's own metrics, right for the server versions in `span`. */
export interface RestateSignal {
  /** Which form of the expression (the stack writes the PromQL of each). */
  readonly form: 'failure-detector' | 'per-partition' | 'leader-count' | 'committed-lsn' | 'quantiles';
  readonly metrics: readonly RestateMetric[];
  readonly span: VersionSpan;
}

/**
 * The alerts that stand on Restate's own metrics, with their forms per server version (lib/values/restate-metrics.ts
 * has the versions of each metric). The others stand on the kubelet's volume stats, cAdvisor and kube-state-metrics,
 * whatever the server's version (docs/runbooks.md#prerequisites).
 */
export const RESTATE_SIGNALS: Readonly<Partial<Record<AlertName, readonly RestateSignal[]>>> = {
  RestateNodeDown: [{ form: 'failure-detector', metrics: ['restate_failure_detector_nodes_total'], span: { since: '1.4.0' } }],
  RestatePartitionsWithoutLeader: [
    {
      form: 'per-partition',
      metrics: ['restate_num_partitions', 'restate_partition_is_effective_leader'],
      span: RESTATE_METRICS.restate_partition_is_effective_leader,
    },
    {
      form: 'leader-count',
      metrics: ['restate_num_partitions', 'restate_num_active_partition_leaders'],
      span: RESTATE_METRICS.restate_num_active_partition_leaders,
    },
  ],
  RestateMetadataQuorumAtRisk: [
    { form: 'committed-lsn', metrics: ['restate_metadata_server_replicated_committed_lsn'], span: { since: '1.4.0' } },
  ],
  RestateSnapshotTooOld: [
    // one series per partition until 1.7.3, then quantiles across the node's partitions (the same name)
    { form: 'per-partition', metrics: ['restate_partition_snapshot_age_seconds'], span: { since: '1.6.0', until: '1.7.3' } },
    { form: 'quantiles', metrics: ['restate_partition_snapshot_age_seconds'], span: { since: '1.7.3' } },
  ],
};

/** An alert a target ships, and for those on Restate's metrics the form its server version takes. */
export interface ShippedAlert {
  readonly name: AlertName;
  readonly signal?: RestateSignal;
}

/** An alert a target would ship but its server version cannot feed. */
export interface MissingAlert {
  readonly name: AlertName;
  /** The metric it needs and the versions that export it in a form the alert reads. */
  readonly metric: RestateMetric;
  readonly span: VersionSpan;
  /** The image follows a minor within which the metric's form changes (`1.7`: the leader gauge at 1.7.3). */
  readonly formChanges: boolean;
}

export interface TargetAlerts {
  /** The image's Restate version; undefined when its tag names none. */
  readonly version?: RestateVersion;
  readonly shipped: readonly ShippedAlert[];
  readonly missing: readonly MissingAlert[];
}

/** Whether an alert applies to the target at all, whatever the server's version. */
function applies(name: AlertName, values: StackValues): boolean {
  switch (name) {
    case 'RestateMetadataQuorumAtRisk':
      // a quorum of one or two members has no member to spare: there is no "at risk" before it is lost
      return values.metadata.store === 'replicated' && values.replicas >= 3;
    case 'RestateSnapshotTooOld':
      return values.snapshots.enabled;
    case 'RestateMemoryNearLimit':
      return values.resources?.limits?.memory !== undefined;
    case 'RestateJobFailed':
      return provisioner(values) === 'job' || values.scaleIn !== undefined;
    default:
      return true;
  }
}

/** Which alerts a target with metrics ships, and which its server version cannot have. Pure. */
export function targetAlerts(values: StackValues): TargetAlerts {
  const version = restateVersionOfImage(values.image);
  const shipped: ShippedAlert[] = [];
  const missing: MissingAlert[] = [];
  for (const name of ALERT_NAMES) {
    if (!applies(name, values)) continue;
    const signals = RESTATE_SIGNALS[name];
    if (!signals) {
      shipped.push({ name });
      continue;
    }
    const signal = version && signals.find((s) => inSpan(version, s.span));
    if (signal) shipped.push({ name, signal });
    else {
      // the newest form names the metric (what an upgrade brings); the forms together, the versions
      const newest = signals[signals.length - 1]!;
      const metric = newest.metrics.find((m) => !version || !inSpan(version, RESTATE_METRICS[m])) ?? newest.metrics[0]!;
      const span = { since: signals[0]!.span.since, until: newest.span.until };
      missing.push({ name, metric, span, formChanges: version !== undefined && inSpan(version, span) });
    }
  }
  return { version, shipped, missing };
}

/** `alert-metric-missing`, one per alert a target's server version cannot feed (only with `metrics.enabled`). */
export function alertWarnings(values: StackValues, target: string): Warning[] {
  if (!values.metrics.enabled) return [];
  const { version, missing } = targetAlerts(values);
  return missing.map(({ name, metric, span, formChanges }) => ({
    id: 'alert-metric-missing',
    target,
    text: formChanges
      ? `${name} not shipped: the form of ${metric} changes within Restate ${showVersion(version!)}; pin a patch`
      : `${name} not shipped: ${metric} is exported by Restate ${showSpan(span)}, ` +
        (version ? `the image is ${showVersion(version)}` : 'the image tag names no version'),
  }));
}
