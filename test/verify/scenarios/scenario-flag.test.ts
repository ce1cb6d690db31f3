import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseVerifyArgs } from '../../../lib/verify/args';
import { SCENARIOS } from '../../../lib/verify/scenarios';
import { FIXTURE_VALUES } from '../../support/values-dir';

const ROOT = join(__dirname, '..', '..', '..');

describe('verify --scenario NAME', () => {
  test('GIVEN a known scenario and one target WHEN parsed THEN the scenario is taken', () => {
    const args = parseVerifyArgs(['--environment', 'dev', '--provider', 'vultr', '--scenario', 'scale-out']);
    expect(args).toMatchObject({ environment: 'dev', provider: 'vultr', scenario: 'scale-out' });
  });

  test('GIVEN an unknown scenario WHEN verify runs THEN it exits 2 listing the scenarios, before starting anything', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'lib', 'verify', 'cli.ts'),
        '-e',
        'dev',
        '-p',
        'vultr',
        '--values-dir',
        FIXTURE_VALUES,
        '--scenario',
        'scale-sideways',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `--scenario: unknown scenario "scale-sideways"; the scenarios are: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  });

  test('GIVEN --scenario with --all or --lint-only WHEN parsed THEN it is refused: a scenario runs on one target', () => {
    expect(() => parseVerifyArgs(['--all', '--scenario', 'scale-out'])).toThrow('--scenario runs on one target');
    expect(() => parseVerifyArgs(['-e', 'dev', '-p', 'vultr', '--lint-only', '--scenario', 'scale-out'])).toThrow(
      '--scenario runs on one target',
    );
  });

  test('GIVEN the registry WHEN listed THEN names are unique, each scenario has a summary and a budget, and --help shows them', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['scale-out', 'scale-in', 'rolling-restart']));
    for (const s of SCENARIOS) {
      expect(s.summary.length).toBeGreaterThan(10);
      expect(s.budgetSeconds).toBeGreaterThan(0);
    }
    const help = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'lib', 'verify', 'cli.ts'), '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    for (const s of SCENARIOS) expect(help.stdout).toContain(`${s.name.padEnd(18)} ${s.summary} (budget ${s.budgetSeconds} s)`);
  });

  test('GIVEN scale-in on a 3-replica target WHEN asked whether it can run THEN it refuses with the reason', () => {
    const scaleIn = SCENARIOS.find((s) => s.name === 'scale-in')!;
    expect(scaleIn.refuse?.({ replicas: 3, replication: 2 })).toContain('run it on a target with at least 5 replicas');
    expect(scaleIn.refuse?.({ replicas: 5, replication: 3 })).toBeUndefined();
  });
});
