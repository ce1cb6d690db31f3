import { Testing } from 'cdk8s';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildStack } from '../../lib/stack/stack';
import { exportsMetric, loadTargetValues, RESTATE_METRICS, type RestateMetric, restateVersionOfImage } from '../../lib/values';
import { validateManifests } from '../support/validate';
import { fixtureDist } from '../support/fixture-dist';
import { FIXTURE_VALUES } from '../support/values-dir';
import { monitoringObjects, prometheusRuleGroups, promtool } from './promtool';

interface Panel {
  readonly title: string;
  readonly targets: ReadonlyArray<{ readonly expr: string }>;
}

const dashboardOf = (objects: ReadonlyArray<Record<string, any>>) => {
  const maps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
  expect(maps).toHaveLength(1);
  const [json] = Object.values(maps[0]!.data as Record<string, string>);
  return { configMap: maps[0]!, model: JSON.parse(json!) as { uid: string; panels: Panel[] } };
};

function objectsWithImage(image: string): Record<string, any>[] {
  const values = loadTargetValues(FIXTURE_VALUES, 'prod', 'aws').values;
  const app = Testing.app();
  buildStack(app, { ...values, image });
  return app.charts.flatMap((chart) => chart.toJson());
}

/** promtool's verdict on every panel query, each as a recording rule (promtool parses the expression). */
function checkQueries(exprs: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'restate-stack-dashboard-'));
  try {
    const rules = exprs.map((expr, index) => ({ record: `restate_stack:panel_${index + 1}`, expr }));
    writeFileSync(join(dir, 'panels.yaml'), stringify({ groups: [{ name: 'panels', rules }] }));
    return promtool(['check', 'rules', 'panels.yaml'], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the Grafana dashboard', () => {
  const dist = fixtureDist();
  const targets: Record<string, { version: string; objects: Record<string, any>[] }> = {
    'prod/vultr': { version: '1.4.4', objects: monitoringObjects(join(dist, 'prod', 'vultr')) },
    'prod/aws': { version: '1.4.4', objects: monitoringObjects(join(dist, 'prod', 'aws')) },
    'prod/aws with restate 1.6.1': { version: '1.6.1', objects: objectsWithImage('restatedev/restate:1.6.1') },
    'prod/aws with restate 1.7.12': { version: '1.7.12', objects: objectsWithImage('restatedev/restate:1.7.12') },
  };

  test.each(Object.keys(targets))(
    'GIVEN %s THEN every panel query parses (promtool) and reads only metrics its version exports',
    (name) => {
      const { version, objects } = targets[name]!;
      const { model } = dashboardOf(objects);
      const exprs = model.panels.flatMap((panel) => panel.targets.map((t) => t.expr));
      // one panel per alert, on the same signal
      const rules = prometheusRuleGroups(objects)[0]!.rules;
      expect(model.panels.map((p) => p.title)).toEqual(rules.map((r) => r.annotations.summary));
      expect(checkQueries(exprs)).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${exprs.length} rules found`) });
      const v = restateVersionOfImage(`r:${version}`)!;
      for (const expr of exprs)
        for (const [, metric] of expr.matchAll(/\b(restate_[a-z_]+)\b/g)) {
          expect([metric, metric! in RESTATE_METRICS && exportsMetric(v, metric as RestateMetric)]).toEqual([metric, true]);
        }
    },
  );

  test('a query that does not parse is refused by the same check', () => {
    expect(checkQueries(['max(restate_num_partitions{namespace="x"}']).status).toBe(1);
  });

  test('is a ConfigMap with the sidecar label in the values namespace, valid, the model byte-identical across synths', () => {
    const { configMap, model } = dashboardOf(targets['prod/vultr']!.objects);
    expect(configMap.metadata).toMatchObject({
      name: 'restate-prod-dashboard',
      namespace: 'monitoring',
      labels: { grafana_dashboard: '1' },
    });
    expect(model.uid).toBe('restate-restate-prod');
    expect(validateManifests([configMap])).toEqual([]);
    // a fresh synth of prod/aws writes the very bytes synth committed, and a 1.7.12 image another leader query
    const aws = dashboardOf(targets['prod/aws']!.objects).configMap.data;
    expect(dashboardOf(objectsWithImage('restatedev/restate:1.4.4')).configMap.data).toEqual(aws);
    expect(dashboardOf(targets['prod/aws with restate 1.7.12']!.objects).configMap.data).not.toEqual(aws);
  });
});
