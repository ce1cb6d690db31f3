import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode } from '../lib/errors/user-error';

const ROOT = resolve(__dirname, '..');
// What the npm scripts and mise tasks run: each command's entry through the bundle runner.
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const ENTRY = { synth: 'main.ts', deploy: 'lib/deploy/cli.ts', verify: 'lib/verify/cli.ts', plan: 'lib/review/cli.ts' } as const;

function command(name: keyof typeof ENTRY, args: string[]) {
  const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  return spawnSync(process.execPath, [RUN, ENTRY[name], ...args], { cwd: ROOT, encoding: 'utf8', env });
}

describe('mistakes every command reports the same way', () => {
  let scratch: string;
  let values: string;
  beforeAll(() => {
    // A values folder of its own: the name checks only look at which files exist.
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-edges-'));
    values = join(scratch, 'values');
    for (const file of ['base.yaml', 'environments/dev.yaml', 'environments/prod.yaml', 'providers/vultr.yaml']) {
      mkdirSync(join(values, file, '..'), { recursive: true });
      writeFileSync(join(values, file), '{}\n');
    }
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('a misspelled environment gets the same "did you mean" from synth, the deploy commands and verify', () => {
    // GIVEN -e prdo, one letter off prod
    const target = ['-e', 'prdo', '-p', 'vultr', '--values-dir', values];
    // WHEN synth, status and verify are run with it
    const runs = {
      synth: command('synth', [...target, '-o', join(scratch, 'never')]),
      status: command('deploy', ['status', ...target]),
      verify: command('verify', target),
    };
    // THEN each exits INVALID_INPUT with the one wording, before doing anything else
    for (const [name, run] of Object.entries(runs)) {
      expect({ name, status: run.status }).toEqual({ name, status: ExitCode.INVALID_INPUT });
      expect(run.stderr).toContain(`${join(values, 'environments', 'prdo.yaml')}: no such environment "prdo" (did you mean "prod"?)`);
    }
    expect(runs.verify.stderr).not.toContain('synthesize the target first');
  });

  test('--values-dir naming a missing folder says that the folder is missing, in every command', () => {
    // GIVEN a values folder that does not exist
    const missing = join(scratch, 'no-such-values');
    // WHEN each command is pointed at it
    const runs = {
      synth: command('synth', ['--values-dir', missing, '-o', join(scratch, 'never')]),
      plan: command('plan', ['--values-dir', missing]),
      verify: command('verify', ['--all', '--lint-only', '--values-dir', missing]),
      build: command('deploy', ['build', '-e', 'dev', '-p', 'vultr', '--values-dir', missing, '--dist', join(scratch, 'never')]),
    };
    // THEN each exits INVALID_INPUT naming the folder, and none blames a file in it
    for (const [name, run] of Object.entries(runs)) {
      expect({ name, status: run.status }).toEqual({ name, status: ExitCode.INVALID_INPUT });
      expect(run.stderr).toContain(`${missing}: no such folder: the values folder (--values-dir) holds base.yaml, targets.yaml`);
      expect(run.stderr).not.toMatch(/targets\.yaml: missing|base values file is missing/);
    }
  });

  test("a deploy command's usage mistake is reported under the command's own name", () => {
    // WHEN status gets a misspelled flag, and no command is named at all
    const status = command('deploy', ['status', '--envronment', 'dev']);
    const none = command('deploy', ['--environment', 'dev']);
    // THEN the first says status:, the second deploy:
    expect(status.status).toBe(ExitCode.INVALID_INPUT);
    expect(status.stderr).toMatch(/^status: unknown option --envronment \(did you mean --environment\?\)\n/);
    expect(none.stderr).toMatch(/^deploy: name a command\n/);
  });

  test("synth's --help lists every option with its short form, and the exit statuses", () => {
    // WHEN asking synth for help
    const run = command('synth', ['--help']);
    // THEN it exits 0 and names -e, -p, -o and -h, and what each exit status means
    expect(run.status).toBe(ExitCode.OK);
    for (const option of ['-e, --environment ENV', '-p, --provider PROVIDER', '-o, --outdir DIR', '-h, --help']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/exit status: 0 written .*; 2 invalid input, nothing written .*; 1 failed, nothing written/s);
    expect(run.stdout).toMatch(/even one not listed \(which the next full\s+synth removes again\)/);
  });
});
