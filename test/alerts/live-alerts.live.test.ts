import { Testing } from 'cdk8s';
import { join } from 'node:path';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues } from '../../lib/values';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { clusterHostsFile } from '../../lib/verify/hosts';
import { runInSandbox } from '../../lib/verify/sandbox';
import { clusterWith, productConfig } from '../support/restate-fixtures';
import type { LiveAlertsInput, LiveAlertsRecord } from '../support/live-alerts-scenario';
import { prometheusRuleGroups, type RuleGroup } from './promtool';

/** `for:` of every rule in the live run: minutes would make the run long; promtool covers the shipped durations. */
const LIVE_FOR = '10s';

/** When an alert was first pending, first firing and last seen after the kill, in seconds from the kill. */
function timeline(record: LiveAlertsRecord, alert: string) {
  const fromKill = record.samples.filter((s) => s.t >= 0);
  const seen = fromKill.filter((s) => s.alerts[alert]);
  const first = (state: string) => fromKill.find((s) => s.alerts[alert] === state)?.t;
  const after = fromKill.filter((s) => s.t > (seen[seen.length - 1]?.t ?? Infinity));
  return { pending: first('pending'), firing: first('firing'), lastSeen: seen[seen.length - 1]?.t, resolvedBy: after[0]?.t };
}

describe('the synthesized alerts on a real Prometheus, a real cluster and a node kill', () => {
  let record: LiveAlertsRecord;
  let groups: RuleGroup[];

  beforeAll(async () => {
    // GIVEN prod/aws's rules as synth writes them for the project's own server (1.7.12) and the 3 nodes run here
    // (the quorum alert's threshold follows replicas), for: shortened
    const values = loadTargetValues(join(__dirname, '..', 'fixtures', 'values'), 'prod', 'aws').values;
    const app = Testing.app();
    buildStack(app, { ...values, replicas: 3, image: 'restatedev/restate:1.7.12' });
    groups = prometheusRuleGroups(app.charts.flatMap((c) => c.toJson())).map((g) => ({
      ...g,
      rules: g.rules.map((r) => ({ ...r, for: LIVE_FOR })),
    }));
    // AND a real 3-node cluster with the prod config, provisioned, scraped every 2 s by a real Prometheus
    // (without the snapshot store, which the sandbox does not have, and with replication 2 of 3 nodes, so that one
    // node down leaves every partition and log a copy to run on, as in verify's fail-over)
    const config = productConfig('prod', 'aws')
      .replace(/\[worker\.snapshots\][^[]*/s, '')
      .replace('default-replication = 3', 'default-replication = 2');
    const cluster = clusterWith(config, {
      replicas: 3,
      name: values.clusterName,
    });
    const outcome = await runInSandbox<LiveAlertsInput, LiveAlertsRecord>({
      entry: join(__dirname, '..', 'support', 'live-alerts-scenario.ts'),
      input: {
        cluster,
        binaries: resolveRestateBinaries(),
        groups,
        targetLabels: { namespace: values.clusterName, container: 'restate' },
        job: `podMonitor/${values.metrics.podMonitor.namespace}/${values.clusterName}/0`,
        scrapeSeconds: 2,
        quietSeconds: 30,
        downSeconds: 45,
        afterSeconds: 45,
      },
      hosts: clusterHostsFile(3, values.clusterName),
      deadlineMs: 420_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`scenario failed: ${outcome.result.error}\n${outcome.log}`);
    record = outcome.result.value;
    const names = [...new Set(record.samples.flatMap((s) => Object.keys(s.alerts)))];
    for (const name of names)
      process.stderr.write(`${name}: ${JSON.stringify(timeline(record, name))} (restart at ${record.restartedAt} s)\n`);
  }, 480_000);

  test('the healthy cluster fires nothing', () => {
    const before = record.samples.filter((s) => s.t < 0);
    expect(before.length).toBeGreaterThan(10);
    expect(before.filter((s) => Object.values(s.alerts).includes('firing'))).toEqual([]);
  });

  test('the kill takes RestateNodeDown and RestateMetadataQuorumAtRisk pending, then firing, and the restart resolves them', () => {
    for (const alert of ['RestateNodeDown', 'RestateMetadataQuorumAtRisk']) {
      const t = timeline(record, alert);
      expect([alert, t.pending !== undefined && t.pending >= 0]).toEqual([alert, true]);
      expect([alert, t.firing !== undefined && t.firing > t.pending!]).toEqual([alert, true]);
      expect([alert, t.lastSeen !== undefined && t.lastSeen >= record.restartedAt && t.resolvedBy !== undefined]).toEqual([alert, true]);
    }
  });

  test('the alerts on cluster monitoring (no kube-state-metrics, kubelet or cAdvisor here) never fire', () => {
    const others = [
      'RestatePodNotReady',
      'RestateVolumeFillingUp',
      'RestateMemoryNearLimit',
      'RestateRestartLoop',
      'RestateClusterNotReady',
    ];
    expect(record.samples.flatMap((s) => others.filter((a) => s.alerts[a]))).toEqual([]);
  });
});
