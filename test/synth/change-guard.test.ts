import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { GitRepo } from '../support/git-repo';
import { readTree } from '../support/tree';

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const PROD = 'environments/prod.yaml';

/** A git repository with a values copy and prod/vultr (5 replicas, replication 3) synthesized and committed. */
class Repo extends GitRepo {
  constructor() {
    super('change');
    this.synth();
    this.commit('prod/vultr');
  }

  synth() {
    return runSynth({ environment: 'prod', provider: 'vultr', valuesDir: this.values.path, outdir: this.dist, allowStorageChange: false });
  }

  cli() {
    const args = ['--environment', 'prod', '--provider', 'vultr', '--values-dir', this.values.path, '--outdir', this.dist];
    return spawnSync(process.execPath, [RUN, 'main.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
  }
}

let repo: Repo;
beforeEach(() => {
  repo = new Repo();
});
afterEach(() => repo.remove());

describe('synth applies the change rules against the committed target', () => {
  test('GIVEN 5 committed replicas WHEN the values lower them to 3 THEN synth exits 2 with the two-commit procedure and dist/ is untouched', () => {
    repo.values.set(PROD, ['replicas'], 3);
    const before = readTree(repo.dist);
    const run = repo.cli();
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^synth: invalid input, nothing written:\n/);
    // THEN the line names the committed target and the values files that set replicas (the last one wins)
    expect(run.stderr).toContain(
      `${join(repo.dist, 'prod/vultr')}: replicas (set in ${join(repo.values.path, PROD)}, over ${join(repo.values.path, 'base.yaml')}): ` +
        'lowers replicas from 5 (committed in HEAD:dist/prod/vultr) to 3;',
    );
    expect(run.stderr).toContain('set scaleIn: {from: 5, to: 3}, which adds the drain Job restate-prod-drain-5-to-3');
    expect(readTree(repo.dist)).toEqual(before);
  });

  test('GIVEN a storage shrink and a replicas decrease in one change WHEN synth THEN both refusals are named in one run', () => {
    // GIVEN prod's volumes halved (the storage guard) and its replicas lowered without the procedure (a change rule)
    repo.values.set(PROD, ['storage', 'size'], '20Gi').set(PROD, ['replicas'], 3);
    const before = readTree(repo.dist);
    // WHEN synthesizing
    const run = repo.cli();
    // THEN one run names both, and nothing is written
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `${join(repo.dist, 'prod/vultr')}: storage.size (set in ${join(repo.values.path, PROD)}, over ${join(repo.values.path, 'base.yaml')}): ` +
        'shrinks the volumes from 107374182400 to 21474836480 bytes',
    );
    expect(run.stderr).toContain(
      `${join(repo.dist, 'prod/vultr')}: replicas (set in ${join(repo.values.path, PROD)}, over ${join(repo.values.path, 'base.yaml')}): ` +
        'lowers replicas from 5 (committed in HEAD:dist/prod/vultr) to 3;',
    );
    expect(readTree(repo.dist)).toEqual(before);
  });

  test('GIVEN the drain commit landed (a committed Job restate-prod-drain-5-to-3) WHEN replicas go 5 → 3 with scaleIn THEN synth writes it', () => {
    // GIVEN commit 1: scaleIn set, replicas still 5. The drain Job is the day-two step's; a committed chart file
    // holding a Job of that name stands in for it here.
    repo.values.set(PROD, ['scaleIn'], { from: 5, to: 3 });
    repo.synth();
    writeFileSync(
      join(repo.dist, 'prod/vultr/0009-drain.k8s.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: restate-prod-drain-5-to-3\n  namespace: restate-operator\n',
    );
    repo.commit('drain 5 → 3');
    // WHEN commit 2 lowers replicas
    repo.values.set(PROD, ['replicas'], 3);
    // THEN
    expect(repo.synth().written).toEqual(['prod/vultr']);
    expect(readTree(repo.dist)['prod/vultr/0001-cluster.k8s.yaml']).toMatch(/^ {4}replicas: 3$/m);
  });

  test('GIVEN scaleIn set but the drain commit not yet committed WHEN replicas go 5 → 3 in the same commit THEN synth refuses', () => {
    repo.values.set(PROD, ['scaleIn'], { from: 5, to: 3 }).set(PROD, ['replicas'], 3);
    const before = readTree(repo.dist);
    expect(() => repo.synth()).toThrow(
      /replicas \(set in [^)]*\): lowers replicas from 5 to 3 as scaleIn names, but the committed target .* holds no drain Job restate-prod-drain-5-to-3/,
    );
    expect(readTree(repo.dist)).toEqual(before);
  });

  test('GIVEN 1.4.4 committed WHEN the image skips to 1.6 THEN synth refuses with the path; WHEN it steps to 1.5 THEN it warns to take a backup and that all pods roll', () => {
    repo.values.set(PROD, ['image'], 'restatedev/restate:1.6.1');
    expect(() => repo.synth()).toThrow(
      /image \(set in [^)]*\): changes from 1\.4\.4 \(restatedev\/restate:1\.4\.4\) to 1\.6\.1 .*skipping 1\.5/,
    );
    repo.values.set(PROD, ['image'], 'restatedev/restate:1.5.3');
    const { warnings } = repo.synth();
    expect(warnings).toEqual([
      { id: 'image-minor-upgrade', target: 'prod/vultr', text: 'image 1.4.4 → 1.5.3: take a backup first' },
      { id: 'pod-template-roll', target: 'prod/vultr', text: 'restarts every pod (image); apply when quiet' },
    ]);
  });

  test('GIVEN a committed operator file left with merge conflict markers WHEN synth THEN it is an error naming that file, never a pass', () => {
    const file = join(repo.dist, 'prod/vultr/0000-operator.k8s.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `<<<<<<< HEAD\n${text}=======\n${text}>>>>>>> theirs\n`);
    repo.commit('a bad merge');
    expect(() => repo.synth()).toThrow(
      /HEAD:dist\/prod\/vultr\/0000-operator\.k8s\.yaml: is not valid YAML .*the change rules cannot compare with it/,
    );
  });

  test('GIVEN a committed target WHEN synth runs unchanged THEN nothing is said, and the missing snapshot repository is acknowledged', () => {
    const { warnings, acknowledged } = repo.synth();
    expect(warnings).toEqual([]);
    expect(acknowledged).toEqual([
      expect.objectContaining({ id: 'snapshots-off', target: 'prod/vultr', file: expect.stringMatching(/providers\/vultr\.yaml$/) }),
    ]);
  });
});
