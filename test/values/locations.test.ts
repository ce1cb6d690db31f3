import { join } from 'node:path';
import { loadTargetValues, renderReplication, replicationCopies, zoneQuorumRisk } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const PROD = 'environments/prod.yaml';
const at = (key: string) => `${join(dir.path, PROD)}: ${key}: `;
const ZONES = { region: 'eu-central-1', zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] };

describe('values: restate.defaultReplication as a replication property', () => {
  test('GIVEN {zone: 2, node: 3} with three zones WHEN loading prod/aws THEN it loads as written', () => {
    dir.set(PROD, ['locations'], ZONES).set(PROD, ['restate', 'defaultReplication'], { zone: 2, node: 3 });
    const { values } = loadTargetValues(dir.path, 'prod', 'aws');
    expect(values.restate.defaultReplication).toEqual({ zone: 2, node: 3 });
    expect(values.locations).toEqual(ZONES);
  });

  test('GIVEN a zone scope and no locations WHEN loading THEN it is refused: the nodes would all be in the default location', () => {
    dir.set(PROD, ['restate', 'defaultReplication'], { zone: 2, node: 3 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication')}names a zone or region scope, which needs every node to have a location: set locations.region and ` +
        'locations.zones (without locations every node is in the default location, one zone, and Restate cannot place the copies)',
    ]);
  });

  test('GIVEN more zone copies than zones WHEN loading THEN it is refused naming the zone count', () => {
    dir
      .set(PROD, ['locations'], { region: 'eu-central-1', zones: ['eu-central-1a', 'eu-central-1b'] })
      .set(PROD, ['restate', 'defaultReplication'], { zone: 3, node: 3 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication.zone')}must be at most the 2 zones locations.zones lists: each copy needs a zone of its own`,
    ]);
  });

  test('GIVEN a larger scope with more copies than a smaller one WHEN loading THEN it is refused as Restate refuses it', () => {
    dir.set(PROD, ['locations'], ZONES).set(PROD, ['restate', 'defaultReplication'], { zone: 3, node: 2 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication.zone')}must be at most node (2): Restate refuses a larger scope with more copies than a smaller one`,
    ]);
  });

  test('GIVEN more node copies than pods WHEN loading THEN it is refused', () => {
    dir.set(PROD, ['locations'], ZONES).set(PROD, ['restate', 'defaultReplication'], { zone: 2, node: 6 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication')}must be between 1 and replicas (5): each copy needs its own node`,
    ]);
  });

  test('GIVEN an unknown scope or a string WHEN loading THEN it is refused with the accepted forms', () => {
    dir.set(PROD, ['restate', 'defaultReplication'], '{zone: 2}');
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication')}must be a number of copies (at least 1) or a replication property such as {zone: 2, node: 3}`,
    ]);
  });

  test('GIVEN a zone name with a dot WHEN loading THEN it is refused: Restate splits the location at dots', () => {
    dir.set(PROD, ['locations'], { region: 'eu-central-1', zones: ['eu.central'] });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('locations.zones.0')}must be a zone name: letters, digits, - and _ (no "." or spaces)`,
    ]);
  });

  test('GIVEN a region scope above 1 WHEN loading THEN it is refused: one region', () => {
    dir.set(PROD, ['locations'], ZONES).set(PROD, ['restate', 'defaultReplication'], { region: 2, zone: 2, node: 3 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('restate.defaultReplication.region')}must be 1: the nodes run in one region (locations.region)`,
    ]);
  });
});

describe('renderReplication: the form Restate writes and restatectl config get prints', () => {
  test('a count stays a number, {node: N} too, and scopes go from the smallest up', () => {
    expect(renderReplication(3)).toBe(3);
    expect(renderReplication({ node: 2 })).toBe(2);
    expect(renderReplication({ zone: 2, node: 3 })).toBe('{node: 3, zone: 2}');
    expect(renderReplication({ region: 1, zone: 2 })).toBe('{zone: 2, region: 1}');
  });

  test('the copies are the factor of the smallest scope named', () => {
    expect(replicationCopies({ zone: 2, node: 3 })).toBe(3);
    expect(replicationCopies({ zone: 2 })).toBe(2);
    expect(replicationCopies(4)).toBe(4);
  });
});

describe('warning zone-quorum-at-risk', () => {
  const facts = { metadata: { store: 'replicated' }, locations: { zones: ['a', 'b', 'c'] } };

  test('5 pods over 3 zones under 2.8.1 (spread 2, 2, 1) is safe; under 1.7.4 nothing caps a zone', () => {
    expect(zoneQuorumRisk({ ...facts, replicas: 5, operatorVersion: '2.8.1' })).toBeUndefined();
    expect(zoneQuorumRisk({ ...facts, replicas: 5, operatorVersion: '1.7.4' })).toBe('no-cap');
  });

  test('3 pods over 2 zones put 2 of 3 in one zone even when spread evenly', () => {
    expect(zoneQuorumRisk({ ...facts, locations: { zones: ['a', 'b'] }, replicas: 3, operatorVersion: '2.8.1' })).toBe('too-few-zones');
  });

  test('GIVEN prod/aws with locations WHEN warning THEN zone-quorum-at-risk fires (operator 1.7.4); without locations it does not', () => {
    dir.set(PROD, ['locations'], ZONES);
    const withZones = loadTargetValues(dir.path, 'prod', 'aws').warnings.map((w) => w.id);
    expect(withZones).toContain('zone-quorum-at-risk');
    dir.set(PROD, ['locations'], undefined);
    const without = loadTargetValues(dir.path, 'prod', 'aws').warnings.map((w) => w.id);
    expect(without).not.toContain('zone-quorum-at-risk');
  });
});
