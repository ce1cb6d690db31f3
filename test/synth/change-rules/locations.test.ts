import { checkTargetChange, type ChangeFinding } from '../../../lib/synth/change-rules';
import { WARNING_LINE_LIMIT, warningLine } from '../../../lib/values';
import { change, cluster, valuesOf } from './fixture';

const ofRule = (findings: readonly ChangeFinding[], rule: string) => findings.filter((f) => f.rule === rule);
const spread = {
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }],
  },
};
const LOCATED = [
  { name: 'POD_ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } },
  { name: 'RESTATE_LOCATION', value: 'eu-central-1.$(POD_ZONE)' },
];
const plain = () => cluster({ replicas: 5, compute: { affinity: spread } });
const located = (env = LOCATED) => cluster({ replicas: 5, compute: { affinity: spread, env } });
const ZONES = { region: 'eu-central-1', zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] };

describe('change rules: locations on a running cluster', () => {
  test('GIVEN a committed target without locations WHEN values add them without naming the migration THEN synth refuses, naming the procedure', () => {
    const findings = ofRule(
      checkTargetChange(change(valuesOf('prod/aws', { locations: ZONES }), [located()], [plain()])),
      'locations-added',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'refuse', keyPath: 'locations' });
    expect(findings[0]!.message).toContain('Name the documented procedure with locations.migration: add-to-running-cluster');
    expect(findings[0]!.message).toContain('docs/operations.md, "Zones"');
  });

  test('GIVEN the migration named WHEN locations are added THEN nothing of this rule is refused', () => {
    const values = valuesOf('prod/aws', { locations: { ...ZONES, migration: 'add-to-running-cluster' } });
    const findings = checkTargetChange(change(values, [located()], [plain()]));
    expect(findings.filter((f) => f.severity === 'refuse')).toEqual([]);
  });

  test('GIVEN a committed target without locations WHEN the same commit asks {zone: 2, node: 3} THEN it is refused: locations first', () => {
    const values = valuesOf('prod/aws', {
      locations: { ...ZONES, migration: 'add-to-running-cluster' },
      restate: { defaultNumPartitions: 128, defaultReplication: { zone: 2, node: 3 } },
    });
    const findings = ofRule(checkTargetChange(change(values, [located()], [plain()])), 'zone-replication-before-locations');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/^\{node: 3, zone: 2\} needs every node to report its zone/);
  });

  test('GIVEN committed locations WHEN the replication becomes zone-scoped THEN it is allowed', () => {
    const values = valuesOf('prod/aws', {
      locations: ZONES,
      restate: { defaultNumPartitions: 128, defaultReplication: { zone: 2, node: 3 } },
    });
    expect(checkTargetChange(change(values, [located()], [located()])).filter((f) => f.severity === 'refuse')).toEqual([]);
  });

  test('GIVEN committed locations WHEN the migration key is still set THEN a warning says to remove it', () => {
    const values = valuesOf('prod/aws', { locations: { ...ZONES, migration: 'add-to-running-cluster' } });
    const findings = ofRule(checkTargetChange(change(values, [located()], [located()])), 'locations-migration-done');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.severity).toBe('warn');
    const text = (findings[0] as { text: string }).text;
    const line = warningLine({ id: 'locations-migration-done', targets: ['prod/aws'], text }, ['prod/aws'], 'warning: ');
    expect(line.length).toBeLessThanOrEqual(WARNING_LINE_LIMIT);
  });

  test('GIVEN committed locations WHEN the region changes or the locations go THEN both are refused', () => {
    const moved = [LOCATED[0]!, { name: 'RESTATE_LOCATION', value: 'eu-west-1.$(POD_ZONE)' }];
    const values = valuesOf('prod/aws', { locations: { ...ZONES, region: 'eu-west-1' } });
    expect(ofRule(checkTargetChange(change(values, [located(moved)], [located()])), 'locations-changed')).toHaveLength(1);
    expect(ofRule(checkTargetChange(change(valuesOf('prod/aws'), [plain()], [located()])), 'locations-removed')).toHaveLength(1);
  });

  test('GIVEN a new target (nothing committed) WHEN it has locations and a zone-scoped replication THEN nothing is refused', () => {
    const values = valuesOf('prod/aws', {
      locations: ZONES,
      restate: { defaultNumPartitions: 128, defaultReplication: { zone: 2, node: 3 } },
    });
    expect(checkTargetChange(change(values, [located()])).filter((f) => f.severity === 'refuse')).toEqual([]);
  });
});
