import { Testing } from 'cdk8s';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildStack } from '../../lib/stack/stack';
import { exportsMetric, loadTargetValues, RESTATE_METRICS, type RestateMetric, restateVersionOfImage } from '../../lib/values';
import { fixtureDist } from '../support/fixture-dist';
import { FIXTURE_VALUES } from '../support/values-dir';
import { unitTestFile } from './cases';
import { monitoringObjects, prometheusRuleGroups, promtool, type RuleGroup } from './promtool';

/** The PrometheusRule's groups of prod/aws as synthesized with another server image (the forms per version). */
function groupsWithImage(image: string): RuleGroup[] {
  const values = loadTargetValues(FIXTURE_VALUES, 'prod', 'aws').values;
  const app = Testing.app();
  buildStack(app, { ...values, image });
  return prometheusRuleGroups(app.charts.flatMap((chart) => chart.toJson()));
}

/** The rule file and one unit-test file per alert in a fresh folder; promtool's verdict on them. */
function proveRules(groups: RuleGroup[], flip?: string, only?: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'restate-stack-promtool-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    const check = promtool(['check', 'rules', 'rules.yaml'], dir);
    const files = groups[0]!.rules
      .filter((rule) => !only || only.includes(rule.alert))
      .map((rule) => {
        const file = `${rule.alert}.test.yaml`;
        writeFileSync(join(dir, file), stringify(unitTestFile(rule, 'rules.yaml', rule.alert === flip)));
        return file;
      });
    const test = promtool(['test', 'rules', ...files], dir);
    return { check, test, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const alertsOf = (groups: RuleGroup[]) => groups.flatMap((g) => g.rules.map((r) => r.alert));

/** Every `restate_…` metric name an expression reads. */
const restateMetricsIn = (expr: string) => [...expr.matchAll(/\b(restate_[a-z_]+)\b/g)].map((m) => m[1]!);

describe('the PrometheusRule, proven with promtool', () => {
  const dist = fixtureDist();
  const shipped = {
    'prod/vultr (restate 1.4.4)': prometheusRuleGroups(monitoringObjects(join(dist, 'prod', 'vultr'))),
    'prod/aws (restate 1.4.4)': prometheusRuleGroups(monitoringObjects(join(dist, 'prod', 'aws'))),
  };
  const versions = {
    'prod/aws with restate 1.5.3': groupsWithImage('restatedev/restate:1.5.3'),
    'prod/aws with restate 1.6.1': groupsWithImage('restatedev/restate:1.6.1'),
    'prod/aws with restate 1.7.12': groupsWithImage('restatedev/restate:1.7.12'),
  };

  test.each(Object.entries({ ...shipped, ...versions }))(
    'GIVEN %s WHEN promtool checks the rules and runs one unit test per alert THEN all pass',
    (_, groups) => {
      const { check, test, files } = proveRules(groups);
      expect(check).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${groups[0]!.rules.length} rules found`) });
      expect(test.output).not.toContain('FAILED');
      expect(test.status).toBe(0);
      for (const file of files) expect(test.output).toContain(`Unit Testing:  ${file}\n  SUCCESS`);
    },
  );

  test('a unit test that expects silence where the alert fires fails: promtool checks what the tests say', () => {
    // GIVEN the shipped prod/vultr rules, the node-down test turned around and the pod-not-ready test as it is
    const { test } = proveRules(shipped['prod/vultr (restate 1.4.4)'], 'RestateNodeDown', ['RestateNodeDown', 'RestatePodNotReady']);
    // THEN promtool fails the node-down test at its firing check, and only it
    expect(test.status).toBe(1);
    expect(test.output).toContain('Unit Testing:  RestatePodNotReady.test.yaml\n  SUCCESS');
    expect(test.output).toMatch(/FAILED:\s+alertname: RestateNodeDown, time: 13m,\s+exp:\[\],\s+got:\[/);
    expect(test.output.match(/FAILED/g)).toHaveLength(1);
  });

  test('each target and version ships the alerts its server can feed, each on metrics that version exports', () => {
    const expected = {
      'prod/vultr (restate 1.4.4)': 9,
      'prod/aws (restate 1.4.4)': 9, // no snapshot age before 1.6.0
      'prod/aws with restate 1.5.3': 9,
      'prod/aws with restate 1.6.1': 10,
      'prod/aws with restate 1.7.12': 10,
    };
    const all = { ...shipped, ...versions };
    expect(Object.fromEntries(Object.entries(all).map(([name, groups]) => [name, alertsOf(groups).length]))).toEqual(expected);
    expect(alertsOf(all['prod/aws (restate 1.4.4)'])).not.toContain('RestateSnapshotTooOld');
    expect(alertsOf(all['prod/vultr (restate 1.4.4)'])).not.toContain('RestateSnapshotTooOld'); // snapshots off
    for (const [name, groups] of Object.entries(all)) {
      const version = restateVersionOfImage(`restatedev/restate:${/(\d+\.\d+\.\d+)/.exec(name)![1]}`)!;
      for (const rule of groups[0]!.rules)
        for (const metric of restateMetricsIn(rule.expr)) {
          expect([rule.alert, metric, metric in RESTATE_METRICS]).toEqual([rule.alert, metric, true]);
          expect([name, rule.alert, metric, exportsMetric(version, metric as RestateMetric)]).toEqual([name, rule.alert, metric, true]);
        }
    }
    // the leader signal changes form at 1.7.3
    const leader = (groups: RuleGroup[]) => groups[0]!.rules.find((r) => r.alert === 'RestatePartitionsWithoutLeader')!.expr;
    expect(leader(all['prod/aws with restate 1.6.1'])).toContain('restate_partition_is_effective_leader');
    expect(leader(all['prod/aws with restate 1.7.12'])).toContain('restate_num_active_partition_leaders');
  });

  test('each rule names its metrics in its description and links its runbook section', () => {
    for (const rule of shipped['prod/vultr (restate 1.4.4)'][0]!.rules) {
      const metrics = [...rule.expr.matchAll(/\b([a-z_]+)\{/g)].map((m) => m[1]!);
      for (const metric of metrics)
        expect([rule.alert, rule.annotations.description]).toEqual([rule.alert, expect.stringContaining(metric)]);
      expect(rule.annotations.runbook_url).toBe(
        `https://github.com/example/restate-stack/blob/main/docs/runbooks.md#${rule.alert.toLowerCase()}`,
      );
    }
  });
});
