import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDeployTools, kubectlClientVersion, type ToolProbe, toolsOnPath } from '../../lib/deploy/tools';
import { runSynth } from '../../lib/synth/run';
import { ANYTHING_ELSE_SUCCEEDS } from '../fixtures/kubectl-stand-in';
import { deployWithStandIn } from '../support/deploy-run';
import { FIXTURE_VALUES } from '../support/values-dir';

const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-tools-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder holding one executable `name` that prints `output`, for a PATH of its own. */
function programDir(name: string, output: string): string {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' '${output}'\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}

const versionJson = (minor: string) =>
  JSON.stringify({ clientVersion: { major: '1', minor, gitVersion: `v1.${minor.replace('+', '')}.0` } });
const answers = (kubectl: string, sops = 'sops 3.9.4 (latest)'): ToolProbe => ({
  kubectl: () => ({ code: 0, stdout: kubectl, stderr: '' }),
  sops: () => ({ code: 0, stdout: sops, stderr: '' }),
});
const problem = (probe: ToolProbe, sops = false): string => {
  try {
    checkDeployTools(probe, { sops });
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('the deploy commands check their tools first', () => {
  test('the kubectl client on this machine passes, as read from its own `version --client -o json`', () => {
    // GIVEN the real kubectl WHEN checked THEN no problem, and the version it reports is at least 1.31
    const probe = toolsOnPath();
    expect(problem(probe)).toBe('');
    const version = kubectlClientVersion(probe.kubectl().stdout)!;
    expect(version.major * 100 + version.minor).toBeGreaterThanOrEqual(131);
  });

  test('kubectl older than 1.31 is refused naming the version and why; 1.31 and a "31+" minor pass', () => {
    expect(problem(answers(versionJson('30')))).toMatch(
      /^kubectl v1\.30\.0 is too old: deploy needs kubectl >= 1\.31 \(for `kubectl wait --for=create`\)\n\(see docs\/deploying\.md#tools/,
    );
    expect(problem(answers(versionJson('31')))).toBe('');
    expect(problem(answers(versionJson('31+')))).toBe('');
    expect(problem(answers('not json'))).toMatch(/did not report a client version/);
  });

  test('no kubectl on PATH, and no sops for a SOPS target, are named as missing', () => {
    // GIVEN a PATH with neither program WHEN checked for promote of a SOPS target THEN both are named
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const message = problem(toolsOnPath({ PATH: empty }), true);
    expect(message).toContain('kubectl is not on PATH; deploy needs kubectl >= 1.31 (for `kubectl wait --for=create`)');
    expect(message).toContain(
      "sops is not on PATH; promote decrypts the target's SOPS-encrypted credentials Secret with it (sops >= 3.7, for age keys)",
    );
  });

  test('a sops older than 3.7 is refused; sops is not asked for when the target needs none', () => {
    const old = programDir('sops', 'sops 3.6.1');
    expect(problem(toolsOnPath({ PATH: old }), true)).toContain('sops 3.6.1 is too old: promote needs sops >= 3.7 (for age keys)');
    const probe = answers(versionJson('32'), 'garbage');
    expect(problem(probe, false)).toBe('');
    expect(problem(probe, true)).toMatch(/`sops --version` did not report a version/);
  });

  test('promote of the SOPS target stops before any kubectl call when sops is missing (exit 1)', () => {
    // GIVEN dev/kind (credentials from SOPS) synthesized, and a probe that finds kubectl 1.32 and no sops
    const dist = join(scratch, 'dist');
    runSynth({ environment: 'dev', provider: 'kind', valuesDir: FIXTURE_VALUES, outdir: dist, allowStorageChange: false });
    const probe: ToolProbe = { ...answers(versionJson('32')), sops: () => ({ code: 127, stdout: '', stderr: 'sops: not found' }) };
    const cleanup: Array<{ remove(): void }> = [];
    try {
      // WHEN promoting THEN it fails naming sops, and the cluster was never called
      const run = deployWithStandIn('promote', [ANYTHING_ELSE_SUCCEEDS], {
        dist,
        provider: 'kind',
        cleanup,
        tools: probe,
        overrides: { allowContextMismatch: true },
      });
      expect(run.code).toBe(1);
      expect(run.err).toContain('promote: sops is not on PATH');
      expect(run.calls).toEqual([]);
      // and status of the same target does not need sops
      const status = deployWithStandIn('status', [ANYTHING_ELSE_SUCCEEDS], {
        dist,
        provider: 'kind',
        cleanup,
        tools: probe,
        overrides: { allowContextMismatch: true },
      });
      expect(status.err).not.toContain('sops is not on PATH');
      expect(status.calls.length).toBeGreaterThan(0);
    } finally {
      cleanup.forEach((c) => c.remove());
    }
  });
});
