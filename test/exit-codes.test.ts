import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode } from '../lib/errors/user-error';
import { ValuesDir } from './support/values-dir';

const ROOT = resolve(__dirname, '..');
// What the npm scripts and mise tasks run (the bundle cache for synth and deploy, tsx for verify).
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function command(name: 'synth' | 'deploy' | 'verify', args: string[]) {
  const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  const [program, prefix] =
    name === 'verify' ? [TSX, ['lib/verify/cli.ts']] : [process.execPath, [RUN, name === 'synth' ? 'main.ts' : 'lib/deploy/cli.ts']];
  return spawnSync(program, [...prefix, ...args], { cwd: ROOT, encoding: 'utf8', env });
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
    const deploy = command('deploy', ['build', '--environment', 'dev', '--provider', 'vultr', '--values-dir', values.path, '--dist', outdir]);
    const verify = command('verify', ['--all', '--lint-only', '--values-dir', values.path, '--dist', outdir]);
    // THEN each exits 2 and names the file and key
    expect([synth.status, deploy.status, verify.status]).toEqual([ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT, ExitCode.INVALID_INPUT]);
    expect(synth.stderr).toContain('environments/dev.yaml: replcas: unknown key');
    expect(deploy.stderr).toContain('environments/dev.yaml: replcas: unknown key');
    expect(verify.stderr).toContain('targets.yaml');
  });
});
