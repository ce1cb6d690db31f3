import { Testing } from 'cdk8s';
import { join } from 'node:path';
import { clusterPlacement, SPREAD_WEIGHT } from '../../lib/stack/placement';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues, type StackValues } from '../../lib/values';
import { validateManifests } from '../support/validate';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

const valuesFor = (environment: string, provider: string) => loadTargetValues(FIXTURE_VALUES, environment, provider).values;
const term = (cluster: string, topologyKey: string) => ({
  weight: SPREAD_WEIGHT,
  podAffinityTerm: {
    labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': cluster } },
    topologyKey,
  },
});

function synthesizedCluster(values: StackValues) {
  const app = Testing.app();
  buildStack(app, values, {});
  return app.charts.flatMap((c) => c.toJson()).find((o: { kind: string }) => o.kind === 'RestateCluster');
}

describe('placement of the Restate pods', () => {
  test('GIVEN the shipped values WHEN synthesized THEN vultr spreads over nodes and aws over nodes and zones, preferred only', () => {
    expect(synthesizedCluster(valuesFor('dev', 'vultr')).spec.compute.affinity).toEqual({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term('restate-dev', 'kubernetes.io/hostname')] },
    });
    const aws = synthesizedCluster(valuesFor('prod', 'aws'));
    expect(aws.spec.compute.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          term('restate-prod', 'kubernetes.io/hostname'),
          term('restate-prod', 'topology.kubernetes.io/zone'),
        ],
      },
    });
    // never required: that would leave pods Pending on single-node kind or a small cluster
    expect(JSON.stringify(aws)).not.toContain('requiredDuringScheduling');
    expect(
      synthesizedCluster(valuesFor('dev', 'kind')).spec.compute.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    ).toBeUndefined();
  });

  test('GIVEN spreadOver [] and no affinity WHEN placed THEN the RestateCluster carries no affinity', () => {
    expect(clusterPlacement({ clusterName: 'restate-dev', placement: { spreadOver: [] } })).toEqual({});
    expect(clusterPlacement({ clusterName: 'restate-dev' })).toEqual({});
  });

  test("GIVEN a user affinity, tolerations and nodeSelector WHEN placed THEN they pass as written, the spread terms after the user's own, valid against the 1.7.4 CRD", () => {
    // GIVEN
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['restate'] }] }],
      },
    };
    const own = {
      weight: 10,
      podAffinityTerm: { labelSelector: { matchLabels: { app: 'kafka' } }, topologyKey: 'kubernetes.io/hostname' },
    };
    const tolerations = [{ key: 'dedicated', operator: 'Equal' as const, value: 'restate', effect: 'NoSchedule' as const }];
    const values: StackValues = {
      ...valuesFor('prod', 'aws'),
      placement: {
        spreadOver: ['kubernetes.io/hostname'],
        affinity: { nodeAffinity, podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [own] } },
        tolerations,
        nodeSelector: { 'node.kubernetes.io/instance-type': 'm6i.large' },
      },
    };
    // WHEN
    const cluster = synthesizedCluster(values);
    // THEN
    expect(cluster.spec.compute).toMatchObject({
      affinity: {
        nodeAffinity,
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [own, term('restate-prod', 'kubernetes.io/hostname')] },
      },
      tolerations,
      nodeSelector: { 'node.kubernetes.io/instance-type': 'm6i.large' },
    });
    expect(validateManifests([cluster])).toEqual([]);
  });
});

describe('values: placement', () => {
  let dir: ValuesDir;
  beforeEach(() => {
    dir = new ValuesDir();
  });
  afterEach(() => dir.remove());
  const DEV = 'environments/dev.yaml';

  test('GIVEN a toleration with a wrong effect and a bad topology key WHEN loading THEN each is refused with its key path', () => {
    dir.set(DEV, ['placement'], {
      spreadOver: ['not a key'],
      tolerations: [{ key: 'a', operator: 'Equal', value: 'b', effect: 'NoSchedul' }],
    });
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: placement.spreadOver.0: must be a node label key such as kubernetes.io/hostname or topology.kubernetes.io/zone`,
      `${join(dir.path, DEV)}: placement.tolerations.0.effect: must be NoSchedule, PreferNoSchedule or NoExecute, got "NoSchedul"`,
    ]);
  });

  test('GIVEN an unknown key inside placement.affinity WHEN loading THEN it is refused', () => {
    dir.set(DEV, ['placement', 'affinity'], { podAntiAfinity: {} });
    expect(dir.errorsOf()).toEqual([expect.stringContaining('placement.affinity.podAntiAfinity: unknown key')]);
  });
});
