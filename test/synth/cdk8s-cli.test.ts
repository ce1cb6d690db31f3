import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { runSynth } from '../../lib/synth/run';
import { readTree } from '../support/tree';
import { REPO_VALUES } from '../support/values-dir';

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');

describe('cdk8s synth (cdk8s-cli)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-cdk8s-cli-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  test('the repository\'s cdk8s.yaml points the folder cdk8s-cli deletes first at a git-ignored scratch folder, not dist/', () => {
    const config = parse(readFileSync(join(ROOT, 'cdk8s.yaml'), 'utf8')) as { output?: string };
    expect(config.output).toBe('.synth-cdk8s-cli');
    const ignored = spawnSync('git', ['check-ignore', '--no-index', config.output!], { cwd: ROOT, encoding: 'utf8' });
    expect(ignored.stdout.trim()).toBe(config.output);
  });

  test('writes the output the safe way, keeps the user\'s files, and gives cdk8s-cli a copy of synth\'s files to list', () => {
    // GIVEN an output with a file of the user's own, and the folder cdk8s-cli will delete first
    const outdir = join(scratch, 'dist');
    runSynth({ environment: 'dev', provider: 'kind', valuesDir: REPO_VALUES, outdir, allowStorageChange: false });
    writeFileSync(join(outdir, 'dev', 'kind', 'kustomization.yaml'), 'resources: []\n');
    const cliOut = join(scratch, 'cli-out');
    mkdirSync(cliOut);
    writeFileSync(join(cliOut, 'old.yaml'), 'left from before\n');
    // WHEN running the real cdk8s-cli with this app
    const run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'cdk8s'),
      ['synth', '--app', `node ${RUN} main.ts --environment dev --provider kind --outdir ${outdir}`, '--output', cliOut],
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
});
