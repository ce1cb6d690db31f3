import * as TOML from '@iarna/toml';
import { Testing } from 'cdk8s';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues, type StackValues } from '../../lib/values';
import { validateManifests } from '../support/validate';
import { FIXTURE_VALUES } from '../support/values-dir';

const ZONES = { region: 'eu-central-1', zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] };
const valuesFor = (environment: string, provider: string, patch: Partial<StackValues> = {}) =>
  ({ ...loadTargetValues(FIXTURE_VALUES, environment, provider).values, ...patch }) as StackValues;

function synthesized(values: StackValues) {
  const app = Testing.app();
  buildStack(app, values, {});
  const objects = app.charts.flatMap((c) => c.toJson());
  return { cluster: objects.find((o: { kind: string }) => o.kind === 'RestateCluster'), objects };
}

describe('locations of the Restate nodes', () => {
  test('GIVEN prod/aws (operator 1.7.4) with locations WHEN synthesized THEN each pod reads its zone label and sets RESTATE_LOCATION', () => {
    // GIVEN
    const values = valuesFor('prod', 'aws', {
      locations: ZONES,
      restate: { defaultNumPartitions: 128, defaultReplication: { zone: 2, node: 3 } },
    });
    // WHEN
    const { cluster, objects } = synthesized(values);
    // THEN the 1.7.4 operator injects no zone: the stack adds POD_ZONE ahead of RESTATE_LOCATION, which expands it
    expect(cluster.spec.compute.env).toEqual([
      { name: 'POD_ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } },
      { name: 'RESTATE_LOCATION', value: 'eu-central-1.$(POD_ZONE)' },
    ]);
    expect(cluster.spec.compute.topologySpreadConstraints).toBeUndefined();
    const config = TOML.parse(cluster.spec.config);
    expect(config['default-replication']).toBe('{node: 3, zone: 2}');
    const job = objects.find((o: { kind: string }) => o.kind === 'Job');
    expect(job.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--ensure-replication', '{node: 3, zone: 2}']));
    expect(validateManifests([cluster])).toEqual([]);
  });

  test('GIVEN staging (operator 2.8.1) with locations and no zone spread WHEN synthesized THEN only RESTATE_LOCATION, and a zone spread is added', () => {
    // GIVEN staging without its own topologySpread
    const values = valuesFor('staging', 'vultr', { locations: ZONES, topologySpread: undefined });
    // WHEN
    const { cluster } = synthesized(values);
    // THEN operator 2.8.1 injects POD_ZONE itself (compute.rs:254-267): a second entry would duplicate it
    expect(cluster.spec.compute.env).toEqual([{ name: 'RESTATE_LOCATION', value: 'eu-central-1.$(POD_ZONE)' }]);
    expect(cluster.spec.compute.topologySpreadConstraints).toEqual([
      {
        topologyKey: 'topology.kubernetes.io/zone',
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': 'restate-staging' } },
      },
    ]);
    expect(validateManifests([cluster], { operatorVersion: '2.8.1' })).toEqual([]);
  });

  test('GIVEN staging whose topologySpread already spreads over zones WHEN locations are set THEN no second zone constraint', () => {
    const { cluster } = synthesized(valuesFor('staging', 'vultr', { locations: ZONES }));
    const keys = cluster.spec.compute.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey);
    expect(keys).toEqual(['topology.kubernetes.io/zone']);
  });

  test('GIVEN no locations WHEN synthesized THEN no location env and an integer default-replication, as before', () => {
    const { cluster } = synthesized(valuesFor('prod', 'aws'));
    expect(JSON.stringify(cluster.spec.compute.env ?? [])).not.toContain('RESTATE_LOCATION');
    expect(TOML.parse(cluster.spec.config)['default-replication']).toBe(3);
  });
});
