import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode } from '../../lib/errors/user-error';
import { runSynth } from '../../lib/synth/run';
import { FIXTURE_VALUES } from '../support/values-dir';
import { git } from '../support/git-repo';

const ROOT = resolve(__dirname, '..', '..');
// What `npm run plan` runs.
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');

/** npm run plan -- ARGS, in `cwd` (its values/ and dist/ are the defaults). */
function plan(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [RUN, join(ROOT, 'lib', 'review', 'cli.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'restate-stack-plan-cli-'));
  cpSync(FIXTURE_VALUES, join(repo, 'values'), { recursive: true });
  writeFileSync(join(repo, 'values', 'targets.yaml'), 'targets:\n  - { environment: dev, provider: vultr }\n');
  git(repo, ['init', '-q']);
  runSynth({ valuesDir: join(repo, 'values'), outdir: join(repo, 'dist'), allowStorageChange: false });
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'dist']);
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('npm run plan on the command line', () => {
  test('exits OK when nothing changes, CHANGES when something does, with the report on stdout', () => {
    // GIVEN the committed repository WHEN planning THEN exit 0
    const same = plan(repo, []);
    expect(same.status).toBe(ExitCode.OK);
    expect(same.stdout).toContain('nothing changes (1 target)');
    // GIVEN a new image WHEN planning as JSON THEN exit 3 and the JSON says the same
    const file = join(repo, 'values', 'environments', 'dev.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}image: restatedev/restate:1.5.3\n`);
    try {
      const changed = plan(repo, ['--format', 'json']);
      expect(changed.status).toBe(ExitCode.CHANGES);
      expect(JSON.parse(changed.stdout)).toMatchObject({ changed: true, refused: false, exitCode: ExitCode.CHANGES });
    } finally {
      writeFileSync(file, original);
    }
  });

  test('--help is plan\'s own usage with its exit codes; a typo of a flag gets a "did you mean"', () => {
    // WHEN asked for help THEN its usage, exit 0
    const help = plan(repo, ['--help']);
    expect(help.status).toBe(ExitCode.OK);
    expect(help.stdout).toMatch(/^usage: npm run plan -- \[--base REF\] \[--format markdown\|json\]/);
    expect(help.stdout).toContain('exit status: 0 nothing changes; 3 something changes');
    // WHEN a flag is misspelled or a format unknown THEN exit 2 naming it
    const typo = plan(repo, ['--bsae', 'main']);
    expect(typo.status).toBe(ExitCode.INVALID_INPUT);
    expect(typo.stderr).toContain('unknown option --bsae (did you mean --base?)');
    const format = plan(repo, ['--format', 'html']);
    expect(format.status).toBe(ExitCode.INVALID_INPUT);
    expect(format.stderr).toContain('--format must be one of markdown, json, got "html"');
  });
});
