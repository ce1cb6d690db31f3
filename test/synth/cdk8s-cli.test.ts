import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CDK8S_CLI_SCRATCH, parseSynthArgs } from '../../lib/synth/args';
import { runSynth } from '../../lib/synth/run';
import { OUTPUT_MARKER } from '../../lib/target-folder/files';
import { readTree } from '../support/tree';
import { FIXTURE_VALUES } from '../support/values-dir';
import { git } from '../support/git-repo';

/** The real cdk8s-cli, in `cwd`, with `app` as its app. */
function cdk8s(cwd: string, app: string, args: string[]) {
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--app', app, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');

describe('cdk8s synth (cdk8s-cli)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-cdk8s-cli-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  test("the repository's cdk8s.yaml points the folder cdk8s-cli deletes first at a git-ignored scratch folder, not dist/", () => {
    const config = parse(readFileSync(join(ROOT, 'cdk8s.yaml'), 'utf8')) as { output?: string };
    expect(config.output).toBe(CDK8S_CLI_SCRATCH);
    const ignored = spawnSync('git', ['check-ignore', '--no-index', config.output!], { cwd: ROOT, encoding: 'utf8' });
    expect(ignored.stdout.trim()).toBe(config.output);
  });

  test("writes the output the safe way, keeps the user's files, and gives cdk8s-cli a copy of synth's files to list", () => {
    // GIVEN an output with a file of the user's own, and the folder cdk8s-cli will delete first
    const outdir = join(scratch, 'dist');
    runSynth({ environment: 'dev', provider: 'kind', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    writeFileSync(join(outdir, 'dev', 'kind', 'kustomization.yaml'), 'resources: []\n');
    const cliOut = join(scratch, 'cli-out');
    mkdirSync(cliOut);
    writeFileSync(join(cliOut, 'old.yaml'), 'left from before\n');
    // WHEN running the real cdk8s-cli with this app
    const run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'cdk8s'),
      [
        'synth',
        '--app',
        `node ${RUN} main.ts --environment dev --provider kind --values-dir ${FIXTURE_VALUES} --outdir ${outdir}`,
        '--output',
        cliOut,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } },
    );
    // THEN
    expect(run.status).toBe(0);
    expect(readFileSync(join(outdir, 'dev', 'kind', 'kustomization.yaml'), 'utf8')).toBe('resources: []\n');
    const copy = readTree(cliOut);
    expect(Object.keys(copy)).toEqual([
      'dev/kind/0000-operator.k8s.yaml',
      'dev/kind/0001-cluster.k8s.yaml',
      'dev/kind/0001-cluster.secret.sops.yaml',
      'dev/kind/0002-provisioning.k8s.yaml',
    ]);
    for (const file of Object.keys(copy)) expect(copy[file]).toBe(readFileSync(join(outdir, file), 'utf8'));
    expect(run.stdout).toContain(`  - ${cliOut}/dev/kind/0001-cluster.k8s.yaml`);
  }, 60_000);

  test('CDK8S_OUTDIR is where synth writes unless it is the scratch folder of plain `cdk8s synth` or --outdir is given', () => {
    // GIVEN / WHEN / THEN cdk8s-cli's -o DIR: DIR, compared with the committed dist/
    expect(parseSynthArgs([], { CDK8S_OUTDIR: 'out' })).toMatchObject({ outdir: 'out', guardOutdir: 'dist' });
    // plain cdk8s synth: dist/, which the guards compare with as always
    expect(parseSynthArgs([], { CDK8S_OUTDIR: CDK8S_CLI_SCRATCH })).toEqual(expect.objectContaining({ outdir: 'dist' }));
    expect(parseSynthArgs([], { CDK8S_OUTDIR: CDK8S_CLI_SCRATCH })).not.toHaveProperty('guardOutdir');
    // an explicit --outdir wins
    expect(parseSynthArgs(['--outdir', 'mine'], { CDK8S_OUTDIR: 'out' })).toEqual(expect.objectContaining({ outdir: 'mine' }));
    expect(parseSynthArgs([], {})).toEqual(expect.objectContaining({ outdir: 'dist' }));
  });

  describe('in a git repository with a committed dist/', () => {
    let repo: string;
    const app = (extra = '') => `node ${RUN} ${join(ROOT, 'main.ts')} --environment dev --provider vultr --values-dir values${extra}`;
    beforeEach(() => {
      repo = join(scratch, 'repo');
      mkdirSync(repo);
      cpSync(FIXTURE_VALUES, join(repo, 'values'), { recursive: true });
      git(repo, ['init', '-q']);
      runSynth({
        environment: 'dev',
        provider: 'vultr',
        valuesDir: join(repo, 'values'),
        outdir: join(repo, 'dist'),
        allowStorageChange: false,
      });
      git(repo, ['add', '-A']);
      git(repo, ['commit', '-qm', 'dist']);
    });

    test('`cdk8s synth -o DIR` writes the target into DIR, the safe way, and leaves dist/ alone', () => {
      // GIVEN the committed dist/ WHEN cdk8s-cli synthesizes into another folder
      const before = readTree(join(repo, 'dist'));
      const run = cdk8s(repo, app(), ['-o', 'out']);
      // THEN DIR holds synth's output with its marker, cdk8s-cli lists it, and dist/ is as it was
      expect(run.status).toBe(0);
      expect(Object.keys(readTree(join(repo, 'out')))).toEqual([
        OUTPUT_MARKER,
        'dev/vultr/0000-operator.k8s.yaml',
        'dev/vultr/0001-cluster.k8s.yaml',
        'dev/vultr/argocd/application.yaml',
        'dev/vultr/argocd/appproject.yaml',
        'dev/vultr/argocd/patches/argocd-cm.yaml',
      ]);
      expect(readTree(join(repo, 'out', 'dev', 'vultr'))).toEqual(readTree(join(repo, 'dist', 'dev', 'vultr')));
      expect(run.stdout).toContain('  - out/dev/vultr/0001-cluster.k8s.yaml');
      expect(readTree(join(repo, 'dist'))).toEqual(before);
    }, 60_000);

    test('`cdk8s synth -o DIR` still refuses a storage shrink: the guard compares with the committed dist/, not with DIR', () => {
      // GIVEN a smaller volume in the values, and a DIR that cdk8s-cli deletes first (so there is nothing on disk)
      writeFileSync(
        join(repo, 'values', 'environments', 'dev.yaml'),
        `${readFileSync(join(repo, 'values', 'environments', 'dev.yaml'), 'utf8')}storage:\n  size: 20Gi\n`,
      );
      // WHEN
      const run = cdk8s(repo, app(), ['-o', 'out']);
      // THEN refused, and nothing written
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/storage\.size \(set in [^)]*\): shrinks the volumes from 42949672960 to 21474836480 bytes/);
      expect(readTree(join(repo, 'out'))).toEqual({});
    }, 60_000);
  });
});
