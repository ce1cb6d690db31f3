import { Testing } from 'cdk8s';
import { RestatePrometheusRule } from '../../lib/stack/alerts/prometheus-rule';
import { alertRules } from '../../lib/stack/alerts/rules';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues } from '../../lib/values';
import { validateManifests } from '../support/validate';
import { FIXTURE_VALUES } from '../support/values-dir';

const prod = loadTargetValues(FIXTURE_VALUES, 'prod', 'vultr').values;

describe('RestatePrometheusRule', () => {
  // GIVEN / WHEN the rules of the tests' prod/vultr
  const chart = Testing.chart();
  new RestatePrometheusRule(chart, 'R', {
    clusterName: 'restate-prod',
    namespace: 'monitoring',
    rules: alertRules(prod),
    labels: { release: 'prometheus' },
  });
  const manifests = Testing.synth(chart);

  test('matches its snapshot and the Prometheus Operator schema', () => {
    expect(manifests).toMatchSnapshot();
    expect(validateManifests(manifests)).toEqual([]);
  });

  test('writes each rule with its for:, labels and annotations, and none of the fields only the tests read', () => {
    const rules = manifests[0].spec.groups[0].rules;
    expect(rules.map((r: { alert: string }) => r.alert)).toEqual(alertRules(prod).map((r) => r.alert));
    for (const rule of rules) expect(Object.keys(rule).sort()).toEqual(expect.arrayContaining(['alert', 'annotations', 'expr', 'labels']));
    expect(rules.flatMap((r: Record<string, unknown>) => Object.keys(r)).filter((k: string) => k === 'metrics' || k === 'signal')).toEqual(
      [],
    );
    // a for: of 0s is no for: at all (restartLoop, jobFailed)
    expect(rules.find((r: { alert: string }) => r.alert === 'RestateJobFailed').for).toBeUndefined();
    expect(rules.find((r: { alert: string }) => r.alert === 'RestateNodeDown').for).toBe('1m');
  });
});

describe('the stack with metrics', () => {
  test('puts the PrometheusRule beside the PodMonitor: same namespace, same labels, same sync wave', () => {
    const app = Testing.app();
    buildStack(app, prod);
    const objects = app.charts.flatMap((c) => c.toJson());
    const monitor = objects.find((o) => o.kind === 'PodMonitor');
    const rule = objects.find((o) => o.kind === 'PrometheusRule');
    expect(rule.metadata).toEqual({ ...monitor.metadata, name: 'restate-prod' });
    expect(rule.metadata.labels).toEqual({ release: 'prometheus' });
  });

  test('without metrics there is no PrometheusRule', () => {
    const app = Testing.app();
    buildStack(app, { ...prod, metrics: { ...prod.metrics, enabled: false } });
    expect(app.charts.flatMap((c) => c.toJson()).filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  });
});
