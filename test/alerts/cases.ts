import type { RuleGroup } from './promtool';

/**
 * One promtool unit test per alert, on a 60-minute story at a 1-minute interval: healthy for 10 minutes, the fault
 * from minute 10 to minute 40, healthy again after. Each test checks the alert silent while healthy, still pending
 * (not firing) before its `for:` ran out, firing once it did, and resolved after the fault is gone.
 */

type Rule = RuleGroup['rules'][number];

export interface AlertCase {
  readonly series: ReadonlyArray<{ readonly series: string; readonly values: string }>;
  /** The labels the firing alert carries besides the rule's and `alertname`. */
  readonly labels: Record<string, string>;
  /** When it fires, in minutes (default: 10 + `for:` + 2); when it is resolved (default 50). */
  readonly firingAt?: number;
  readonly resolvedAt?: number;
}

/** Values healthy for minutes 0–9, `bad` for 10–39, healthy for 40–59 (promtool's expanding notation). */
export const story = (good: number, bad: number) => `${good}x9 ${bad}x29 ${good}x19`;
/** A series scraped while healthy and gone (stale) during the fault. */
const gone = (good: number) => `${good}x9 stale _x28 ${good}x19`;

const sel = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

export function minutesOf(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(h|m|s)/g))
    total += Number(amount) * { h: 60, m: 1, s: 1 / 60 }[unit as 'h' | 'm' | 's'];
  return total;
}

/** The string value of `label="…"` in an expression. */
function labelIn(expr: string, label: string): string {
  const match = new RegExp(`${label}=~?"([^"|]+)`).exec(expr);
  if (!match) throw new Error(`no ${label} in ${expr}`);
  return match[1]!;
}

/** A number compared with `op` at the end of an expression (`> 85`, `<= 3`, `/ 8589934592`). */
function numberAfter(expr: string, op: string): number {
  const match = new RegExp(`${op.replace(/[/*]/g, '\\$&')} (\\d+)`).exec(expr);
  if (!match) throw new Error(`no "${op} N" in ${expr}`);
  return Number(match[1]);
}

/** The case of one synthesized rule: its series are written from the rule's own labels and thresholds. */
export function alertCase(rule: Rule): AlertCase {
  const ns = () => labelIn(rule.expr, 'namespace');
  const pod = (n: number) => ({ namespace: ns(), pod: `restate-${n}` });
  switch (rule.alert) {
    case 'RestateNodeDown':
      return {
        series: [
          { series: sel('restate_failure_detector_nodes_total', { ...pod(0), state: 'dead' }), values: story(0, 1) },
          { series: sel('up', { ...pod(0), container: 'restate' }), values: story(1, 1) },
        ],
        labels: {},
      };
    case 'RestatePodNotReady':
      return {
        series: [{ series: sel('kube_pod_status_ready', { ...pod(1), condition: 'true' }), values: story(1, 0) }],
        labels: { pod: 'restate-1' },
      };
    case 'RestatePartitionsWithoutLeader':
      if (rule.expr.includes('restate_num_active_partition_leaders'))
        return {
          series: [
            { series: sel('restate_num_partitions', pod(0)), values: story(2, 2) },
            { series: sel('restate_num_active_partition_leaders', pod(0)), values: story(1, 1) },
            { series: sel('restate_num_active_partition_leaders', pod(1)), values: story(1, 0) },
          ],
          labels: {},
        };
      return {
        series: [
          { series: sel('restate_num_partitions', pod(0)), values: story(2, 2) },
          { series: sel('restate_partition_is_effective_leader', { ...pod(0), partition: '0' }), values: story(1, 1) },
          { series: sel('restate_partition_is_effective_leader', { ...pod(1), partition: '1' }), values: story(1, 0) },
          { series: sel('restate_partition_is_effective_leader', { ...pod(2), partition: '1' }), values: story(0, 0) },
        ],
        labels: {},
      };
    case 'RestateMetadataQuorumAtRisk': {
      const quorum = numberAfter(rule.expr, '<=');
      // quorum + 1 members: one lost leaves a bare quorum
      return {
        series: Array.from({ length: quorum + 1 }, (_, n) => ({
          series: sel('restate_metadata_server_replicated_committed_lsn', pod(n)),
          values: n === quorum ? gone(100) : story(100, 100),
        })),
        labels: {},
      };
    }
    case 'RestateSnapshotTooOld': {
      const maxAge = numberAfter(rule.expr, '>');
      const quantiles = rule.expr.includes('quantile="1.0"');
      const oldest = quantiles ? { ...pod(0), quantile: '1.0' } : { ...pod(0), partition: '0' };
      const other = quantiles ? { ...pod(0), quantile: '0.5' } : { ...pod(1), partition: '1' };
      return {
        series: [
          { series: sel('restate_partition_snapshot_age_seconds', oldest), values: story(60, maxAge + 600) },
          { series: sel('restate_partition_snapshot_age_seconds', other), values: story(60, 60) },
        ],
        labels: {},
      };
    }
    case 'RestateVolumeFillingUp': {
      const used = numberAfter(rule.expr, '>');
      const claim = { namespace: ns(), persistentvolumeclaim: 'storage-restate-0' };
      return {
        series: [
          { series: sel('kubelet_volume_stats_capacity_bytes', claim), values: story(1000, 1000) },
          { series: sel('kubelet_volume_stats_used_bytes', claim), values: story(500, used * 10 + 20) },
        ],
        labels: claim,
      };
    }
    case 'RestateMemoryNearLimit': {
      const limit = numberAfter(rule.expr, '/');
      const percent = numberAfter(rule.expr, '>');
      const bad = Math.min(limit, Math.floor((limit * (percent + 2)) / 100));
      return {
        series: [{ series: sel('container_memory_working_set_bytes', { ...pod(2), container: 'restate' }), values: story(limit / 2, bad) }],
        labels: { pod: 'restate-2' },
      };
    }
    case 'RestateRestartLoop': {
      const restarts = numberAfter(rule.expr, '>=');
      // one restart a minute from minute 10, `restarts + 1` in all, then none
      const climbing = Array.from({ length: restarts + 1 }, (_, n) => n + 1).join(' ');
      return {
        series: [
          {
            series: sel('kube_pod_container_status_restarts_total', { ...pod(2), container: 'restate' }),
            values: `0x9 ${climbing} ${restarts + 1}x${58 - 10 - restarts}`,
          },
        ],
        labels: { pod: 'restate-2' },
        firingAt: 10 + restarts + 2,
        resolvedAt: 55,
      };
    }
    case 'RestateClusterNotReady':
      return {
        series: [
          {
            series: sel('kube_customresource_restatecluster_status_condition', { name: labelIn(rule.expr, 'name'), type: 'Ready' }),
            values: story(1, 0),
          },
        ],
        labels: {},
      };
    case 'RestateJobFailed': {
      const job = labelIn(rule.expr, 'job_name');
      return {
        series: [
          { series: sel('kube_job_status_failed', { namespace: labelIn(rule.expr, 'namespace'), job_name: job }), values: story(0, 1) },
        ],
        labels: { job_name: job },
      };
    }
    default:
      throw new Error(`no promtool case for ${rule.alert}: add one to test/alerts/cases.ts`);
  }
}

/** The promtool test file of one alert: silent, pending, firing, resolved. */
export function unitTestFile(rule: Rule, ruleFile: string, flip = false): Record<string, unknown> {
  const c = alertCase(rule);
  const forMinutes = minutesOf(rule.for);
  const firingAt = c.firingAt ?? 10 + forMinutes + 2;
  const resolvedAt = c.resolvedAt ?? 50;
  if (firingAt >= 40) throw new Error(`${rule.alert}: for: ${rule.for} is too long for the 30-minute fault of the story`);
  const firing = [{ exp_labels: { ...rule.labels, ...c.labels }, exp_annotations: rule.annotations }];
  const checks = [
    { eval_time: '5m', alertname: rule.alert, exp_alerts: [] },
    // pending, not yet firing: the fault's first minutes, before `for:` ran out (at minute 10 itself for `for: 1m`)
    ...(forMinutes >= 1 ? [{ eval_time: `${10 + Math.floor((forMinutes - 1) / 2)}m`, alertname: rule.alert, exp_alerts: [] }] : []),
    { eval_time: `${firingAt}m`, alertname: rule.alert, exp_alerts: flip ? [] : firing },
    { eval_time: `${resolvedAt}m`, alertname: rule.alert, exp_alerts: [] },
  ];
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    tests: [{ interval: '1m', input_series: c.series, alert_rule_test: checks }],
  };
}
