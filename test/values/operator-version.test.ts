import { join } from 'node:path';
import { crdsChartVersion, loadTargetValues, provisioner } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const DEV = 'environments/dev.yaml';
const errorsOf = () => dir.errorsOf();
const at = (message: string) => `${join(dir.path, DEV)}: ${message}`;
const dev = () => loadTargetValues(dir.path, 'dev', 'vultr').values;

describe('what operator.version allows of the other keys', () => {
  test('operator 2.8.1 accepts the chart values only chart 2.8.1 has, and gets its CRDs chart and operator provisioning', () => {
    // GIVEN
    dir.set(DEV, ['operator', 'version'], '2.8.1');
    dir.set(DEV, ['operator', 'chartValues', 'nodeSelector'], { pool: 'system' });
    dir.set(DEV, ['provisioning', 'automated'], true);
    // WHEN
    const values = dev();
    // THEN
    expect(values.operator.chartValues.nodeSelector).toEqual({ pool: 'system' });
    expect(crdsChartVersion(values)).toBe('2.8.1');
    expect(provisioner(values)).toBe('operator');
  });

  test('operator 1.7.4 provisions with the Job, and ships its CRDs with its chart unless operator.crdsVersion says otherwise', () => {
    dir.set(DEV, ['provisioning', 'automated'], true);
    expect(provisioner(dev())).toBe('job');
    expect(crdsChartVersion(dev())).toBeUndefined();
    dir.set(DEV, ['operator', 'crdsVersion'], '2.8.1');
    expect(crdsChartVersion(dev())).toBe('2.8.1');
  });

  test('provisioning.by: operator is refused with operator 1.7.4', () => {
    dir.set(DEV, ['provisioning', 'automated'], true);
    dir.set(DEV, ['provisioning', 'by'], 'operator');
    expect(errorsOf()).toEqual([
      at(
        'provisioning.by: operator needs operator 2.8.1 (spec.cluster.autoProvision arrived in 2.1.0); operator.version is 1.7.4: use job',
      ),
    ]);
  });

  test('provisioning.by is refused without provisioning.automated', () => {
    dir.set(DEV, ['operator', 'version'], '2.8.1');
    dir.set(DEV, ['provisioning', 'by'], 'job');
    expect(errorsOf()).toEqual([
      at('provisioning.by: has no effect without provisioning.automated: true (manual provisioning is `mise run provision`)'),
    ]);
  });

  test('provisioning.by is refused with object-store metadata, which provisions itself', () => {
    // GIVEN prod on aws (automated provisioning, S3 with every guarantee) moved to object-store metadata
    const PROD = 'environments/prod.yaml';
    dir.set(PROD, ['operator', 'version'], '2.8.1');
    dir.set(PROD, ['metadata', 'store'], 'object-store');
    dir.set(PROD, ['provisioning', 'by'], 'operator');
    // THEN
    expect(dir.errorsOf('prod', 'aws')).toEqual([
      `${join(dir.path, PROD)}: provisioning.by: does not apply with metadata.store object-store: such a cluster provisions itself (auto-provision = true)`,
    ]);
  });

  test('topologySpread is refused with operator 1.7.4', () => {
    dir.set(DEV, ['topologySpread'], [{ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' }]);
    expect(errorsOf()).toEqual([
      at('topologySpread: needs operator 2.8.1 (spec.compute.topologySpreadConstraints arrived in 1.8.3); operator.version is 1.7.4'),
    ]);
  });

  test('a topology spread constraint names a valid node label and one of the two policies', () => {
    dir.set(DEV, ['operator', 'version'], '2.8.1');
    dir.set(DEV, ['topologySpread'], [{ topologyKey: 'bad key', whenUnsatisfiable: 'Sometimes' }]);
    const errors = errorsOf();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^.*: topologySpread\.0\.topologyKey: /);
    expect(errors[1]).toBe(at('topologySpread.0.whenUnsatisfiable: must be DoNotSchedule or ScheduleAnyway, got "Sometimes"'));
  });

  test('operator.crdsVersion accepts only versions whose CRDs ship as a chart of their own', () => {
    dir.set(DEV, ['operator', 'crdsVersion'], '1.7.4');
    expect(errorsOf()).toEqual([
      at('operator.crdsVersion: must be 2.8.1: the versions whose CRDs ship as a chart of their own, got "1.7.4"'),
    ]);
  });

  test("installCrds and clusterDns are the stack's, not chart values a user sets", () => {
    dir.set(DEV, ['operator', 'version'], '2.8.1');
    dir.set(DEV, ['operator', 'chartValues', 'installCrds'], true);
    expect(errorsOf()).toEqual([at('operator.chartValues.installCrds: unknown key')]);
  });
});
