import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode } from '../lib/errors/user-error';
import { CLUSTER_FILE } from '../lib/target-folder/files';
import { DeployValuesDir } from './support/deploy-values';
import { runSynth } from '../lib/synth/run';
import { FIXTURE_VALUES, ValuesDir } from './support/values-dir';

const ROOT = resolve(__dirname, '..');
// What the npm scripts and mise tasks run: each command's entry through the bundle runner.
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const ENTRY = { synth: 'main.ts', deploy: 'lib/deploy/cli.ts', verify: 'lib/verify/cli.ts' } as const;

function command(name: keyof typeof ENTRY, args: string[]) {
  const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  return spawnSync(process.execPath, [RUN, ENTRY[name], ...args], { cwd: ROOT, encoding: 'utf8', env });
}

describe('every command exits by the one table of exit codes', () => {
  let scratch: string;
  let values: ValuesDir;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-exit-'));
    values = new ValuesDir();
    values.set('environments/dev.yaml', ['replcas'], 3);
    values.set('targets.yaml', ['targets', '0', 'enviroment'], 'dev');
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    values.remove();
  });

  test('a usage mistake exits INVALID_INPUT (2) from synth, deploy and verify', () => {
    // GIVEN an unknown flag
    for (const name of ['synth', 'deploy', 'verify'] as const) {
      // WHEN each command is run with it
      const run = command(name, name === 'deploy' ? ['build', '--env', 'dev'] : ['--env', 'dev']);
      // THEN it exits 2 and says why
      expect({ name, status: run.status }).toEqual({ name, status: ExitCode.INVALID_INPUT });
      expect(run.stderr).toContain('unknown option --env (did you mean --environment?)');
    }
  });

  test('invalid values exit INVALID_INPUT (2) from synth, deploy and verify', () => {
    // GIVEN a typo in the dev overlay (synth, deploy build) and in targets.yaml (verify --all)
    const outdir = join(scratch, 'never');
    // WHEN
    const synth = command('synth', ['--environment', 'dev', '--provider', 'vultr', '--values-dir', values.path, '--outdir', outdir]);
    const deploy = command('deploy', [
      'build',
      '--environment',
      'dev',
      '--provider',
      'vultr',
      '--values-dir',
      values.path,
      '--dist',
      outdir,
    ]);
    const verify = command('verify', ['--all', '--lint-only', '--values-dir', values.path, '--dist', outdir]);
    // THEN each exits 2 and names the file and key
    expect([synth.status, deploy.status, verify.status]).toEqual([ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT]);
    expect(synth.stderr).toContain('environments/dev.yaml: replcas: unknown key');
    expect(deploy.stderr).toContain('environments/dev.yaml: replcas: unknown key');
    expect(verify.stderr).toContain('targets.yaml');
  });

  test('a manifest that cannot be read back exits INVALID_INPUT (2) from synth, deploy and verify, naming the file', () => {
    // GIVEN a git repository whose committed dist/dev/vultr (of the tests' values) has a cluster file holding merge
    // conflict markers
    const repo = join(scratch, 'repo');
    const target = join(repo, 'dist', 'dev', 'vultr');
    runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir: join(repo, 'dist'), allowStorageChange: false });
    const cluster = readFileSync(join(target, CLUSTER_FILE), 'utf8');
    writeFileSync(join(target, CLUSTER_FILE), `<<<<<<< HEAD\n${cluster}=======\n${cluster}>>>>>>> theirs\n`);
    const git = (args: string[]) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', '-c', 'init.defaultBranch=main', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    expect([git(['init', '-q']).status, git(['add', '-A']).status, git(['commit', '-qm', 'merge gone wrong']).status]).toEqual([0, 0, 0]);
    const dist = join(repo, 'dist');
    const one = ['--environment', 'dev', '--provider', 'vultr', '--values-dir', FIXTURE_VALUES];
    // WHEN synth (its storage guard reads the committed file), deploy preview and verify read it
    const synth = command('synth', [...one, '--outdir', dist]);
    // (with values of their own: preview refuses the shipped example gitops.repoURL before it reads any manifest)
    const deployValues = new DeployValuesDir();
    const deploy = command('deploy', ['preview', ...one, '--values-dir', deployValues.path, '--dist', dist]);
    deployValues.remove();
    const verify = command('verify', [...one, '--lint-only', '--dist', dist]);
    // THEN each exits 2 and names the file, and synth wrote nothing
    expect([synth.status, deploy.status, verify.status]).toEqual([ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT]);
    expect(synth.stderr).toContain(`HEAD:dist/dev/vultr/${CLUSTER_FILE}: is not valid YAML`);
    expect(deploy.stderr).toContain(`${join(target, CLUSTER_FILE)}: is not valid YAML`);
    expect(verify.stdout).toContain(`${CLUSTER_FILE}: YAML syntax error`);
    expect(readFileSync(join(target, CLUSTER_FILE), 'utf8')).toContain('<<<<<<< HEAD');
  });
});
