import { join } from 'node:path';
import { buildClusterModel } from '../../lib/verify/model';
import { podMonitorSpec, prometheusConfig, prometheusRuleGroups } from '../../lib/verify/prometheus-config';
import { monitoringObjects } from '../alerts/promtool';
import { clusterWith } from '../support/restate-fixtures';

const dist = join(__dirname, '..', '..', 'dist');

describe("verify's Prometheus config, from a target's synthesized PodMonitor and PrometheusRule", () => {
  const objects = monitoringObjects(join(dist, 'prod', 'vultr'));
  const monitor = podMonitorSpec(objects.find((o) => o.kind === 'PodMonitor')!);

  test('the PodMonitor is read as shipped: namespace, name, selected namespace, labels, endpoint', () => {
    // GIVEN prod/vultr's monitoring file WHEN its PodMonitor is read THEN it has what decides what is scraped
    expect(monitor).toEqual({
      namespace: 'monitoring',
      name: 'restate-prod',
      namespaces: ['restate-prod'],
      matchLabels: { 'app.kubernetes.io/instance': 'restate-prod', 'app.kubernetes.io/name': 'restate' },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
    });
  });

  test("one job as the Prometheus Operator names it, with a target per node of the cluster and the Operator's labels", () => {
    // GIVEN the model of a 3-node cluster named as the PodMonitor selects, and pods it must not select
    const model = buildClusterModel({
      cluster: { ...clusterWith(''), name: 'restate-prod', replicas: 3 },
      prometheusNamespace: 'monitoring',
    });
    const other = { ...model.nodes[0], namespace: 'elsewhere', ip: '127.0.9.9' };
    const pods = [...model.all, other].map((p) => ({ ...p, container: 'restate' }));

    // WHEN the config is derived
    const config = prometheusConfig(monitor, pods, { intervalSeconds: 2, ruleFile: 'rules.yaml' });

    // THEN the nodes' 5122 (the port named metrics) are the targets, labelled as the Operator's relabelling labels them
    expect(config.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
    expect(config.rule_files).toEqual(['rules.yaml']);
    expect(config.scrape_configs).toHaveLength(1);
    const job = config.scrape_configs[0];
    expect(job.job_name).toBe('podMonitor/monitoring/restate-prod/0');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs).toEqual(
      model.nodes.map((n) => ({
        targets: [`${n.ip}:5122`],
        labels: { namespace: 'restate-prod', container: 'restate', pod: n.name, job: 'monitoring/restate-prod', endpoint: 'metrics' },
      })),
    );
  });

  test('a PodMonitor whose labels select no pod of the model gets a job without targets', () => {
    // GIVEN a selector that no node carries
    const model = buildClusterModel({ cluster: { ...clusterWith(''), name: 'restate-prod', replicas: 3 } });
    const narrow = { ...monitor, matchLabels: { ...monitor.matchLabels, tier: 'none' } };

    // WHEN the config is derived THEN nothing is scraped
    const config = prometheusConfig(narrow, model.all, { intervalSeconds: 2 });
    expect(config.scrape_configs[0].static_configs).toEqual([]);
    expect(config.rule_files).toBeUndefined();
  });

  test("the rule file is the one PrometheusRule's groups; none or two is an error", () => {
    // GIVEN the shipped PrometheusRule WHEN its groups are taken THEN they are its spec.groups, RestateNodeDown among them
    const groups = prometheusRuleGroups(objects);
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert))).toContain('RestateNodeDown');
    expect(groups).toBe(objects.find((o) => o.kind === 'PrometheusRule')!.spec.groups);
    // AND without one, or with two, there is no rule file to make
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(() => prometheusRuleGroups([])).toThrow('expected one PrometheusRule, found 0');
    expect(() => prometheusRuleGroups([rule, rule])).toThrow('expected one PrometheusRule, found 2');
  });
});
