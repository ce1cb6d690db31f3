import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OUTPUT_MARKER } from '../../lib/target-folder/files';
import { readTree } from '../support/tree';
import { ValuesDir } from '../support/values-dir';

const ROOT = resolve(__dirname, '..', '..');
// What `npm run synth` runs (the bundle cache; test/bundle-cache.test.ts proves it equals tsx main.ts).
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');

function synth(args: string[]) {
  return spawnSync(process.execPath, [RUN, 'main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}

describe('npm run synth on the command line', () => {
  let scratch: string;
  let values: ValuesDir;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'restate-stack-cli-'));
    values = new ValuesDir();
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    values.remove();
  });

  test('builds one target into --outdir from --values-dir and says where', () => {
    const outdir = join(scratch, 'out');
    const run = synth(['--environment', 'dev', '--provider', 'vultr', '--values-dir', values.path, '--outdir', outdir]);
    // (the shipped dev/vultr draws no warning: the image is pinned, and its missing snapshots are acknowledged)
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      `new        ${join(outdir, 'dev/vultr')}\nsynthesized 1 target into ${outdir}: 0 changed, 0 unchanged, 1 new\n`,
    );
    expect(Object.keys(readTree(outdir))).toEqual([
      OUTPUT_MARKER,
      'dev/vultr/0000-operator.k8s.yaml',
      'dev/vultr/0001-cluster.k8s.yaml',
      'dev/vultr/argocd/application.yaml',
      'dev/vultr/argocd/appproject.yaml',
      'dev/vultr/argocd/patches/argocd-cm.yaml',
    ]);
  });

  test('says per target whether it changed (and which files) or stayed as it was, and which targets went', () => {
    // GIVEN an output of every target, then dev's replicas raised and prod on aws dropped from targets.yaml
    const outdir = join(scratch, 'all');
    const other = new ValuesDir();
    try {
      expect(synth(['--values-dir', other.path, '--outdir', outdir]).status).toBe(0);
      other.set('environments/dev.yaml', ['replicas'], 5);
      other.write('targets.yaml', 'targets:\n  - { environment: dev, provider: vultr }\n  - { environment: prod, provider: vultr }\n');
      // WHEN synthesizing again
      const run = synth(['--values-dir', other.path, '--outdir', outdir]);
      // THEN each line says what happened to its folder, and the last one counts them
      expect(run.status).toBe(0);
      expect(run.stdout.split('\n')).toEqual([
        `changed    ${join(outdir, 'dev/vultr')} (0001-cluster.k8s.yaml)`,
        `unchanged  ${join(outdir, 'prod/vultr')}`,
        `removed    ${join(outdir, 'dev/kind')} (not in targets.yaml)`,
        `removed    ${join(outdir, 'prod/aws')} (not in targets.yaml)`,
        `removed    ${join(outdir, 'staging/vultr')} (not in targets.yaml)`,
        `synthesized 2 targets into ${outdir}: 1 changed, 1 unchanged, 0 new, 3 removed`,
        '',
      ]);
    } finally {
      other.remove();
    }
  });

  test('a change that reaches only the GitOps entry (argocd/) is a change, naming the files below the folder', () => {
    // GIVEN dev/vultr synthesized, then only gitops.repoURL changed (it reaches nothing but the Argo CD entry)
    const outdir = join(scratch, 'gitops-entry');
    const other = new ValuesDir();
    try {
      const args = ['--values-dir', other.path, '--outdir', outdir, '--environment', 'dev', '--provider', 'vultr'];
      expect(synth(args).status).toBe(0);
      other.set('base.yaml', ['gitops', 'repoURL'], 'https://git.restate-stack.test/other.git');
      // WHEN synthesizing again THEN the target is changed, and the line names the Application's and AppProject's files
      const run = synth(args);
      expect(run.status).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(`changed    ${join(outdir, 'dev/vultr')} (argocd/application.yaml, argocd/appproject.yaml)`);
      // AND a third run, with nothing changed, says so
      expect(synth(args).stdout.split('\n')[0]).toBe(`unchanged  ${join(outdir, 'dev/vultr')}`);
    } finally {
      other.remove();
    }
  });

  test('prints each warning once, as one line naming its id, its targets, what to do and its docs heading', () => {
    // GIVEN a floating image tag for every target, an even replica count in dev (vultr and kind), and base.yaml
    // acknowledging a warning that fires nowhere
    const outdir = join(scratch, 'warned');
    const other = new ValuesDir();
    try {
      other.set('base.yaml', ['image'], 'restatedev/restate:1.4');
      other.set('environments/dev.yaml', ['replicas'], 4);
      other.set('base.yaml', ['warnings'], { acknowledge: { 'open-admin': 'no admin peers here' } });
      // WHEN synthesizing every target
      const run = synth(['--values-dir', other.path, '--outdir', outdir]);
      // THEN stderr holds one line per warning, grouped across targets; the vultr targets' acknowledged snapshots-off
      // is not among them
      expect(run.status).toBe(0);
      expect(run.stderr.split('\n')).toEqual([
        'warning: even-replicas on dev/vultr, dev/kind: replicas 4 is even: no safer than 3; use an odd count (docs/warnings.md#even-replicas)',
        'warning: floating-image-tag on all 5 targets: image tag 1.4 may move; pin a patch, e.g. 1.4.4 (docs/warnings.md#floating-image-tag)',
        `warning: stale-acknowledgement on all 5 targets: remove open-admin from ${join(other.path, 'base.yaml')}, or, where it still holds on ` +
          "other targets that file reaches, take it back on these alone with `open-admin: null` under warnings.acknowledge in their provider's " +
          "or environment's file (docs/warnings.md#stale-acknowledgement)",
        '',
      ]);
    } finally {
      other.remove();
    }
  });

  test('bad values: non-zero exit, the precise message on stderr, the output untouched', () => {
    // GIVEN a synthesized output and a typo in the dev overlay
    const outdir = join(scratch, 'out');
    const before = readTree(outdir);
    values.set('environments/dev.yaml', ['replcas'], 3);
    // WHEN
    const run = synth(['--environment', 'dev', '--provider', 'vultr', '--values-dir', values.path, '--outdir', outdir]);
    // THEN
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `synth: invalid input, nothing written:\n${join(values.path, 'environments/dev.yaml')}: replcas: unknown key (did you mean "replicas"?)\n`,
    );
    expect(readTree(outdir)).toEqual(before);
  });

  test('--environment without --provider is refused', () => {
    const run = synth(['--environment', 'dev']);
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain('--environment and --provider go together');
  });

  test('an unknown flag is refused with the usage', () => {
    const run = synth(['--env', 'dev']);
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain('unknown option --env (did you mean --environment?)');
    expect(run.stderr).toContain('usage: npm run synth');
  });
});
