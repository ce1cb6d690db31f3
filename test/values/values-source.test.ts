import { formatProblem, valuesSource } from '../../lib/values';
import type { Layer } from '../../lib/values';

// The three layers of one target, in merge order (base ◄ provider ◄ environment), as the loader reads them.
const layers = (base: Layer['data'], provider: Layer['data'], environment: Layer['data']): Layer[] => [
  { file: 'values/base.yaml', data: base },
  { file: 'values/providers/vultr.yaml', data: provider },
  { file: 'values/environments/prod.yaml', data: environment },
];

describe('which values files set a key (named by the refusals of a change against the committed target)', () => {
  test('every file that sets the key, in merge order: the last one is in force', () => {
    // GIVEN storage.size in base and in prod, and replicas in base only
    const read = layers({ replicas: 3, storage: { size: '40Gi' } }, { storage: { storageClassName: 'x' } }, { storage: { size: '100Gi' } });
    // THEN each key names the files that set it, and no file that only sets a sibling
    expect(valuesSource(read, 'storage.size').setIn).toEqual(['values/base.yaml', 'values/environments/prod.yaml']);
    expect(valuesSource(read, 'replicas').setIn).toEqual(['values/base.yaml']);
    expect(valuesSource(read, 'storage.storageClassName').setIn).toEqual(['values/providers/vultr.yaml']);
  });

  test('a key no file sets is its default; a null in an overlay unsets what came before it', () => {
    // GIVEN topologySpread set in base and unset by prod (null), and provisioning.by set nowhere
    const read = layers({ topologySpread: [{ maxSkew: 1 }], storage: { size: '40Gi' } }, {}, { topologySpread: null, storage: null });
    // THEN neither is set by any file
    expect(valuesSource(read, 'topologySpread').setIn).toEqual([]);
    expect(valuesSource(read, 'storage.size').setIn).toEqual([]);
    expect(valuesSource(read, 'provisioning.by')).toEqual({
      setIn: [],
      layers: ['values/base.yaml', 'values/providers/vultr.yaml', 'values/environments/prod.yaml'],
    });
  });

  test('a refusal line names the committed target, the key and the files that set it', () => {
    const read = layers({ replicas: 3 }, {}, { replicas: 5 });
    const line = (keyPath: string) =>
      formatProblem({ file: 'dist/prod/vultr', keyPath, message: 'is refused', source: valuesSource(read, keyPath) });
    expect(line('replicas')).toBe('dist/prod/vultr: replicas (set in values/environments/prod.yaml, over values/base.yaml): is refused');
    expect(line('provisioning.by')).toBe(
      'dist/prod/vultr: provisioning.by (its default, set in none of values/base.yaml, values/providers/vultr.yaml, ' +
        'values/environments/prod.yaml): is refused',
    );
  });
});
