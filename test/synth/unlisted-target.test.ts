import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { ValuesDir } from '../support/values-dir';

describe('a single-target synth of a pair that targets.yaml does not list', () => {
  let values: ValuesDir;
  let scratch: string;
  beforeAll(() => {
    // GIVEN values whose targets.yaml lists dev/vultr only
    values = new ValuesDir().write('targets.yaml', 'targets:\n  - { environment: dev, provider: vultr }\n');
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-unlisted-'));
  });
  afterAll(() => {
    values.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('writes it, and warns that the next full synth removes it again', () => {
    // WHEN synthesizing prod/vultr alone
    const outdir = join(scratch, 'unlisted');
    const result = runSynth({ environment: 'prod', provider: 'vultr', valuesDir: values.path, outdir, allowStorageChange: false });
    // THEN it is written, with the warning naming the folder and the file to list it in
    expect(existsSync(join(outdir, 'prod', 'vultr', '0001-cluster.k8s.yaml'))).toBe(true);
    expect(result.warnings).toContainEqual({
      id: 'unlisted-target',
      target: 'prod/vultr',
      text: `not in ${join(values.path, 'targets.yaml')}: the next full synth removes it; list it there`,
    });
    // AND the next full synth does remove it
    expect(runSynth({ valuesDir: values.path, outdir, allowStorageChange: false }).removed).toEqual(['prod/vultr']);
  });

  test('a listed pair gets no such warning', () => {
    // WHEN synthesizing dev/vultr alone THEN nothing says it is unlisted
    const result = runSynth({
      environment: 'dev',
      provider: 'vultr',
      valuesDir: values.path,
      outdir: join(scratch, 'listed'),
      allowStorageChange: false,
    });
    expect(result.warnings.filter((w) => w.id === 'unlisted-target')).toEqual([]);
  });
});
