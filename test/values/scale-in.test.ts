import { join } from 'node:path';
import { loadTargetValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const PROD = 'environments/prod.yaml';
const at = (key: string) => `${join(dir.path, PROD)}: ${key}: `;

describe('values: scaleIn', () => {
  test('GIVEN scaleIn 5 → 3 with replicas 5 (the drain commit) WHEN loading prod THEN it loads with scaleIn as written', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, to: 3 });
    const { values } = loadTargetValues(dir.path, 'prod', 'aws');
    expect(values.replicas).toBe(5);
    expect(values.scaleIn).toEqual({ from: 5, to: 3 });
  });

  test('GIVEN scaleIn 5 → 3 with replicas 3 (the commit that lowers replicas) WHEN loading THEN it loads', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, to: 3 }).set(PROD, ['replicas'], 3);
    expect(loadTargetValues(dir.path, 'prod', 'aws').values.replicas).toBe(3);
  });

  test('GIVEN no scaleIn WHEN loading THEN the key is absent', () => {
    expect(loadTargetValues(dir.path, 'prod', 'aws').values.scaleIn).toBeUndefined();
  });

  test('GIVEN replicas that is neither scaleIn.from nor scaleIn.to WHEN loading THEN it is refused naming replicas', () => {
    dir.set(PROD, ['scaleIn'], { from: 7, to: 3 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('replicas')}must be scaleIn.from (7, the drain commit) or scaleIn.to (3, the commit that lowers replicas) while scaleIn is set, got 5`,
    ]);
  });

  test('GIVEN scaleIn.to not below scaleIn.from WHEN loading THEN it is refused', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, to: 5 });
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('scaleIn.to')}must be less than scaleIn.from (5): scaleIn names a decrease; an increase needs no step`,
    ]);
  });

  test('GIVEN scaleIn.to below defaultReplication (3 in prod) WHEN loading THEN it is refused with the reason', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, to: 2 });
    expect(dir.errorsOf('prod', 'aws')).toEqual(
      expect.arrayContaining([
        `${at('scaleIn.to')}must be at least restate.defaultReplication (3): each copy of a log and a partition needs its own node`,
      ]),
    );
  });

  test('GIVEN scaleIn.to below 3 with replicated metadata WHEN loading THEN it is refused (Raft majority)', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, to: 2 }).set(PROD, ['restate', 'defaultReplication'], 2);
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${at('scaleIn.to')}must be at least 3: the replicated (Raft) metadata store needs a majority that survives losing a node, got 2`,
    ]);
  });

  test('GIVEN an unknown key or a non-integer inside scaleIn WHEN loading THEN it is refused', () => {
    dir.set(PROD, ['scaleIn'], { from: 5, too: 3 });
    expect(dir.errorsOf('prod', 'aws')).toEqual(expect.arrayContaining([expect.stringContaining('scaleIn.too: unknown key')]));
    dir.set(PROD, ['scaleIn'], { from: 5, to: 3.5 });
    expect(dir.errorsOf('prod', 'aws')).toEqual(expect.arrayContaining([expect.stringContaining('scaleIn.to: must be a whole number')]));
  });
});
