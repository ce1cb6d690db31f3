import { Testing } from 'cdk8s';
import { join } from 'node:path';
import { alertRules } from '../../lib/stack/alerts/rules';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues } from '../../lib/values';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { clusterHostsFile } from '../../lib/verify/hosts';
import { podMonitorSpec } from '../../lib/verify/prometheus-config';
import { runInSandbox } from '../../lib/verify/sandbox';
import { clusterWith, productConfig } from '../support/restate-fixtures';
import type { FaultKind, FaultPlan, LiveAlertsInput, LiveAlertsRecord } from '../support/live-alerts-scenario';
import { alertTimelines, faultTable, type Timeline } from './live-timelines';
import { prometheusRuleGroups, type RuleGroup } from './promtool';

/** `for:` of every rule in the live run: minutes would make the run long; promtool covers the shipped durations. */
const LIVE_FOR = '10s';

/**
 * The alerts each fault must take pending, then firing, and that must resolve after the recovery; every other
 * alert stays silent in that fault (docs/runbooks.md, "How the alerts are proven", gives the reason for each).
 */
const EXPECTED: Record<FaultKind, readonly string[]> = {
  // one node of 3 down: it is not scraped (up == 0) and the others' failure detectors count it dead; 2 of 3
  // metadata members report, a bare quorum
  'node-kill': ['RestateNodeDown', 'RestateMetadataQuorumAtRisk'],
  // 2 of 3 down: the same two, and the partitions the two led have no leader (no quorum to elect another)
  'majority-loss': ['RestateNodeDown', 'RestateMetadataQuorumAtRisk', 'RestatePartitionsWithoutLeader'],
  // one node's volume lost: it exits 1 on the empty folder, so it is down and not a metadata member, until the
  // recover steps retire its old id and it joins under a new one
  'volume-loss': ['RestateNodeDown', 'RestateMetadataQuorumAtRisk'],
};
/**
 * Alerts a fault may take active besides its expected ones, with the reason; like every alert, they must have
 * resolved before the fault counts as settled. Every alert in neither list must stay inactive.
 */
const TRANSIENT: Record<FaultKind, Record<string, string>> = {
  'node-kill': {
    RestatePartitionsWithoutLeader:
      'the partitions the killed node led lose their leader until they fail over, and again while leadership moves back to the restarted node',
  },
  'majority-loss': {},
  'volume-loss': {
    RestatePartitionsWithoutLeader:
      'the partitions the lost node led lose their leader until they fail over, and again while the new node takes partitions after it joins',
  },
};
const FAULTS: FaultPlan[] = (['node-kill', 'majority-loss', 'volume-loss'] as const).map((kind) => ({
  kind,
  awaitFiring: EXPECTED[kind],
}));

/** The alerts that stand on cluster monitoring (kube-state-metrics, the kubelet, cAdvisor): nothing feeds them here. */
const CLUSTER_MONITORING = [
  'RestatePodNotReady',
  'RestateVolumeFillingUp',
  'RestateMemoryNearLimit',
  'RestateRestartLoop',
  'RestateClusterNotReady',
  'RestateJobFailed',
];

describe('the synthesized alerts and dashboard on a real Prometheus, a real cluster and three faults', () => {
  let record: LiveAlertsRecord;
  let groups: RuleGroup[];
  /** Each dashboard panel's query and the alert it belongs to. */
  let panels: Array<{ alert: string; expr: string }>;
  let timelines: Map<FaultKind, Map<string, Timeline>>;

  beforeAll(async () => {
    // GIVEN prod/aws's rules and dashboard as synth writes them for the project's own server (1.7.12) and the 3
    // nodes run here (the quorum alert's threshold follows replicas), for: shortened
    const values = { ...loadTargetValues(join(__dirname, '..', 'fixtures', 'values'), 'prod', 'aws').values };
    const target = { ...values, replicas: 3, image: 'restatedev/restate:1.7.12' };
    const app = Testing.app();
    buildStack(app, target);
    const objects = app.charts.flatMap((c) => c.toJson());
    groups = prometheusRuleGroups(objects).map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: LIVE_FOR })) }));
    const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${values.clusterName}-dashboard`);
    const model = JSON.parse(Object.values(dashboard.data as Record<string, string>)[0]!) as {
      panels: Array<{ description: string; targets: Array<{ expr: string }> }>;
    };
    panels = model.panels.flatMap((p) => p.targets.map((t) => ({ alert: /Alert (\w+):/.exec(p.description)![1]!, expr: t.expr })));
    // AND a real 3-node cluster with the prod config, provisioned, scraped every 2 s by a real Prometheus through
    // the scrape job derived from the synthesized PodMonitor (without the snapshot store, which the sandbox does
    // not have, and with replication 2 of 3 nodes, so that one node down leaves every partition and log a copy
    // to run on, as in verify's fail-over and volume-loss scenarios)
    const config = productConfig('prod', 'aws')
      .replace(/\[worker\.snapshots\][^[]*/s, '')
      .replace('default-replication = 3', 'default-replication = 2');
    const outcome = await runInSandbox<LiveAlertsInput, LiveAlertsRecord>({
      entry: join(__dirname, '..', 'support', 'live-alerts-scenario.ts'),
      input: {
        cluster: clusterWith(config, { replicas: 3, name: values.clusterName }),
        binaries: resolveRestateBinaries(),
        groups,
        podMonitor: podMonitorSpec(objects.find((o) => o.kind === 'PodMonitor')!),
        scrapeSeconds: 2,
        quietSeconds: 30,
        queries: panels.map((p) => p.expr),
        faults: FAULTS,
        holdBoundSeconds: 180,
        settleSeconds: 10,
        settleBoundSeconds: 300,
      },
      hosts: clusterHostsFile(3, values.clusterName),
      deadlineMs: 1_500_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`scenario failed: ${outcome.result.error}\n${outcome.log}`);
    record = outcome.result.value;
    timelines = alertTimelines(record);
    process.stderr.write(`${faultTable(record, timelines)}\n`);
    for (const q of record.queries) process.stderr.write(`${q.expr}\n  -> ${q.series} series: ${q.values.join(', ')}\n`);
  }, 1_560_000);

  test('the healthy cluster fires nothing, and has nothing pending but for a scrape that timed out', () => {
    const before = record.samples.filter((s) => s.t < record.faults[0]!.at);
    expect(before.length).toBeGreaterThan(10);
    const active = before.filter((s) => Object.keys(s.alerts).length > 0);
    expect(active.filter((s) => Object.values(s.alerts).includes('firing'))).toEqual([]);
    // pending only while a busy node's 2-s scrape timed out (up == 0 for a scrape), never from the cluster
    expect(active.filter((s) => !/context deadline exceeded/.test(s.why ?? ''))).toEqual([]);
  });

  test.each(FAULTS.map((f) => f.kind))('%s: its alerts go pending, then firing, and resolve after the recovery', (kind) => {
    const fault = record.faults.find((f) => f.kind === kind)!;
    // what was seen, in every failure message: each alert's timeline in this fault
    const seen = Object.fromEntries(timelines.get(kind)!);
    expect([kind, `${EXPECTED[kind].join(', ')} all firing`, fault.awaitedFiringAt !== undefined, seen]).toEqual([
      kind,
      `${EXPECTED[kind].join(', ')} all firing`,
      true,
      seen,
    ]);
    expect([kind, 'no alert active for a while after the recovery', fault.settledAt !== undefined, seen]).toEqual([
      kind,
      'no alert active for a while after the recovery',
      true,
      seen,
    ]);
    for (const alert of EXPECTED[kind]) {
      const t = timelines.get(kind)!.get(alert);
      const order = t !== undefined && t.firing !== undefined && t.firing > t.pending;
      expect([kind, alert, 'pending, then firing', order, seen]).toEqual([kind, alert, 'pending, then firing', true, seen]);
      // active until the recovery started, then resolved
      const resolved = t!.resolved !== undefined && t!.lastActive >= fault.recoveryAt - fault.at;
      expect([kind, alert, 'resolved after the recovery', resolved, t]).toEqual([kind, alert, 'resolved after the recovery', true, t]);
    }
  });

  test.each(FAULTS.map((f) => f.kind))('%s: every other alert stays silent', (kind) => {
    const active = [...timelines.get(kind)!.keys()];
    const allowed = new Set([...EXPECTED[kind], ...Object.keys(TRANSIENT[kind])]);
    expect([kind, 'active beside the expected and transient alerts', active.filter((a) => !allowed.has(a))]).toEqual([
      kind,
      'active beside the expected and transient alerts',
      [],
    ]);
    const unresolved = active.filter((a) => timelines.get(kind)!.get(a)!.resolved === undefined);
    expect([kind, 'still active when the fault settled', unresolved]).toEqual([kind, 'still active when the fault settled', []]);
  });

  test('volume loss: the node on the empty folder exits 1 with the data-loss line, and the 4 recover steps each complete', () => {
    const fault = record.faults.find((f) => f.kind === 'volume-loss')!;
    expect(fault.emptyStart?.exit).toBe('exit status 1');
    expect(fault.emptyStart?.line).toMatch(/data loss/i);
    expect(fault.steps.filter((s) => s.startsWith('recover: ')).length).toBe(4);
  });

  test("the dashboard's queries on Restate metrics return series; those on cluster monitoring, exactly, return none", () => {
    const rules = new Map(
      alertRules({
        ...loadTargetValues(join(__dirname, '..', 'fixtures', 'values'), 'prod', 'aws').values,
        replicas: 3,
        image: 'restatedev/restate:1.7.12',
      }).map((r) => [r.alert, r]),
    );
    expect(record.queries.map((q) => q.expr)).toEqual(panels.map((p) => p.expr));
    const empty = panels.filter((_, i) => record.queries[i]!.series === 0).map((p) => p.alert);
    expect(empty.sort()).toEqual(
      panels
        .map((p) => p.alert)
        .filter((a) => CLUSTER_MONITORING.includes(a))
        .sort(),
    );
    // the Restate panels read the healthy cluster: nothing down, every partition led, 3 metadata members
    const value = (alert: string) => record.queries[panels.findIndex((p) => p.alert === alert)]!.values;
    expect(value('RestateNodeDown')).toEqual(['0']);
    expect(value('RestatePartitionsWithoutLeader')).toEqual(['0']);
    expect(value('RestateMetadataQuorumAtRisk')).toEqual(['3']);
    for (const panel of panels.filter((p) => !CLUSTER_MONITORING.includes(p.alert)))
      expect([panel.alert, rules.get(panel.alert as never)!.metrics.some((m) => m.startsWith('restate_'))]).toEqual([panel.alert, true]);
  });
});
