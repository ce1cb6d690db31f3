import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDeployArgs } from '../../lib/deploy/args';
import { runSynth } from '../../lib/synth/run';
import { OUTPUT_MARKER } from '../../lib/target-folder/files';
import { parseVerifyArgs } from '../../lib/verify/args';
import { readTree } from '../support/tree';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');

/** `npm run synth -- ARGS` with the working directory `cwd`. */
function synth(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [RUN, join(ROOT, 'main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}

function git(cwd: string, args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const TARGET_FILES = [
  '0000-operator.k8s.yaml',
  '0001-cluster.k8s.yaml',
  'argocd/application.yaml',
  'argocd/appproject.yaml',
  'argocd/patches/argocd-cm.yaml',
];

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'restate-stack-outdir-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('a mistyped output folder destroys nothing', () => {
  /** A repository like a user's: values, a README, a committed dist, all in git. */
  function userRepo(): string {
    const repo = join(scratch, 'repo');
    mkdirSync(repo);
    cpSync(FIXTURE_VALUES, join(repo, 'values'), { recursive: true });
    writeFileSync(join(repo, 'README.md'), 'my GitOps repository\n');
    runSynth({ valuesDir: join(repo, 'values'), outdir: join(repo, 'dist'), allowStorageChange: false });
    git(repo, ['init', '-q']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'init']);
    return repo;
  }

  test.each([
    ['.', /--outdir: \. is the root of a git repository; name a folder of its own inside it, such as dist/],
    ['', /--outdir is empty \(an unset shell variable\?\); give it a value, or leave the flag out/],
    ['values', /--outdir: values holds the values folder values; synth would write over its own input/],
    ['..', /--outdir: \.\. holds the working directory/],
  ])('--outdir "%s" is refused and the repository, .git included, is untouched', (outdir, message) => {
    // GIVEN a user's repository
    const repo = userRepo();
    const before = readTree(repo);
    // WHEN a full synth is told to write into it
    const run = synth(repo, ['--outdir', outdir]);
    // THEN
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toMatch(message);
    expect(readTree(repo)).toEqual(before);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['.git/HEAD', 'README.md', 'values/base.yaml', `dist/${OUTPUT_MARKER}`]));
  });

  test('a folder of unrelated files is refused, and every file in it stays', () => {
    // GIVEN a folder of someone's files (~/somewhere), one of them in a folder shaped like a target
    const somewhere = join(scratch, 'somewhere');
    mkdirSync(join(somewhere, 'photos', '2024'), { recursive: true });
    writeFileSync(join(somewhere, 'notes.txt'), 'keep me');
    writeFileSync(join(somewhere, 'photos', '2024', 'beach.jpg'), 'jpeg');
    writeFileSync(join(somewhere, 'photos', '2024', '0000-operator.k8s.yaml'), "mine, not synth's");
    const before = readTree(somewhere);
    // WHEN
    const run = synth(ROOT, ['--values-dir', FIXTURE_VALUES, '--outdir', somewhere]);
    // THEN
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain(
      `--outdir: ${somewhere} is not synth's output folder (it has no ${OUTPUT_MARKER}) and holds what synth did not write: ` +
        `${join(somewhere, 'notes.txt')}, ${join(somewhere, 'photos/2024/beach.jpg')}. Synth only replaces what it wrote.`,
    );
    expect(readTree(somewhere)).toEqual(before);
  });

  test('a file is refused and stays the file it was', () => {
    const file = join(scratch, 'out.txt');
    writeFileSync(file, 'a file');
    const run = synth(ROOT, ['--values-dir', FIXTURE_VALUES, '--outdir', file]);
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain(`--outdir: ${file} is a file, not a folder`);
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('a file');
  });

  test('a symlinked output folder stays a link: synth writes into the folder it points to', () => {
    // GIVEN dist -> real, with a synthesized output
    const real = join(scratch, 'real');
    const link = join(scratch, 'dist');
    runSynth({ valuesDir: FIXTURE_VALUES, outdir: real, allowStorageChange: false });
    symlinkSync(real, link);
    rmSync(join(real, 'dev', 'vultr', '0000-operator.k8s.yaml'));
    // WHEN a full synth writes through the link
    const run = synth(ROOT, ['--values-dir', FIXTURE_VALUES, '--outdir', link]);
    // THEN the link is still a link to the same folder, which holds the fresh output
    expect(run.status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(join(real, 'dev', 'vultr', '0000-operator.k8s.yaml'), 'utf8')).toContain('kind: Application');
  });

  test('a symlinked target folder is refused, and the link and what it points to stay', () => {
    const outdir = join(scratch, 'dist');
    const elsewhere = join(scratch, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'precious.txt'), 'keep');
    runSynth({ environment: 'dev', provider: 'aws', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    symlinkSync(elsewhere, join(outdir, 'dev', 'vultr'));
    expect(() => runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false })).toThrow(
      `${join(outdir, 'dev/vultr')} is a symbolic link; synth replaces target folders and will not replace a link`,
    );
    expect(lstatSync(join(outdir, 'dev', 'vultr')).isSymbolicLink()).toBe(true);
    expect(readTree(elsewhere)).toEqual({ 'precious.txt': 'keep' });
  });
});

describe('empty flags are usage errors, never defaults', () => {
  test('--environment "" --provider vultr (an unset variable) is refused: no full synth, one-off targets stay', () => {
    // GIVEN an output with a one-off target that targets.yaml does not list
    const outdir = join(scratch, 'dist');
    runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    runSynth({ environment: 'staging', provider: 'aws', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    const before = readTree(outdir);
    // WHEN
    const run = synth(ROOT, ['--environment', '', '--provider', 'vultr', '--values-dir', FIXTURE_VALUES, '--outdir', outdir]);
    // THEN
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain('--environment is empty (an unset shell variable?)');
    expect(readTree(outdir)).toEqual(before);
    expect(Object.keys(before).filter((file) => file.startsWith('staging/aws/'))).toEqual(TARGET_FILES.map((f) => `staging/aws/${f}`));
  });

  test.each([['--provider'], ['--values-dir'], ['--base']])('synth %s "" is refused', (flag) => {
    const run = synth(ROOT, ['--environment', 'dev', '--provider', 'vultr', flag, '', '--outdir', join(scratch, 'never')]);
    expect(run.status).toBe(2); // ExitCode.INVALID_INPUT
    expect(run.stderr).toContain(`${flag} is empty (an unset shell variable?)`);
    expect(readTree(scratch)).toEqual({});
  });

  test.each([['--dist'], ['--context'], ['--environment'], ['--values-dir']])('deploy %s "" is a usage error (exit 2)', (flag) => {
    const args = ['preview', '--environment', 'dev', '--provider', 'vultr', flag, ''];
    expect(() => parseDeployArgs(args)).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining(`${flag} is empty`) }),
    );
  });

  test.each([['--dist'], ['--provider']])('verify %s "" is a usage error', (flag) => {
    expect(() => parseVerifyArgs(['--environment', 'dev', '--provider', 'vultr', flag, ''])).toThrow(`${flag} is empty`);
  });
});

describe('files synth did not write', () => {
  test('are kept in place, in current and in no longer listed target folders, and listed in a warning', () => {
    // GIVEN a full output, a one-off target, and files of the user's own (KSOPS's kustomization.yaml among them)
    const outdir = join(scratch, 'dist');
    runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    runSynth({ environment: 'staging', provider: 'aws', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    writeFileSync(join(outdir, 'dev', 'kind', 'kustomization.yaml'), 'generators: [./secret-generator.yaml]\n');
    mkdirSync(join(outdir, 'dev', 'kind', 'overlays'));
    writeFileSync(join(outdir, 'dev', 'kind', 'overlays', 'patch.yaml'), 'patch\n');
    writeFileSync(join(outdir, 'staging', 'aws', 'NOTES.md'), 'notes\n');
    writeFileSync(join(outdir, 'README.md'), 'about dist\n');
    // WHEN a full synth runs (staging/aws is no longer listed)
    const result = runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    // THEN every foreign file is where it was, the synthesized files of staging/aws are gone
    const after = readTree(outdir);
    expect(after['dev/kind/kustomization.yaml']).toBe('generators: [./secret-generator.yaml]\n');
    expect(after['dev/kind/overlays/patch.yaml']).toBe('patch\n');
    expect(after['README.md']).toBe('about dist\n');
    expect(Object.keys(after).filter((file) => file.startsWith('staging/aws/'))).toEqual(['staging/aws/NOTES.md']);
    expect(result.warnings).toEqual([
      {
        id: 'guards-read-disk',
        text: `${outdir} is not in a git repository: the change guards compared with the files on disk; commit it`,
      },
      { id: 'foreign-files-kept', target: 'dev/kind', text: "kept kustomization.yaml, overlays (not synth's)" },
      { id: 'foreign-files-kept', target: 'staging/aws', text: "kept NOTES.md (not synth's)" },
    ]);
    // and a one-target synth keeps them too
    runSynth({ environment: 'dev', provider: 'kind', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    expect(readTree(outdir)).toEqual(after);
  });

  test("an output folder from before the marker is adopted when it holds only synth's files", () => {
    // GIVEN yesterday's dist/: synth's files only, no marker
    const outdir = join(scratch, 'dist');
    runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    rmSync(join(outdir, OUTPUT_MARKER));
    // WHEN / THEN it is adopted: marked, and written as usual
    runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    expect(Object.keys(readTree(outdir))).toContain(OUTPUT_MARKER);
    expect(Object.keys(readTree(outdir))).toContain('prod/aws/0001-cluster.k8s.yaml');
  });

  test('an unmarked output folder with a file synth did not write is refused, naming it and what to do', () => {
    const outdir = join(scratch, 'dist');
    runSynth({ environment: 'dev', provider: 'kind', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    rmSync(join(outdir, OUTPUT_MARKER));
    writeFileSync(join(outdir, 'dev', 'kind', 'kustomization.yaml'), 'resources: []\n');
    const before = readTree(outdir);
    expect(() => runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false })).toThrow(
      `holds what synth did not write: ${join(outdir, 'dev/kind/kustomization.yaml')}. Synth only replaces what it wrote. ` +
        `Name a new or empty folder, or move these away; if this is synth's output and they should stay, create ${join(outdir, OUTPUT_MARKER)}`,
    );
    expect(readTree(outdir)).toEqual(before);
  });
});

describe('a synth that fails while building', () => {
  test('leaves no trace: a new output folder is not created, an adopted one gets no marker', () => {
    // GIVEN values whose build fails (the helm delivery, without a helm binary)
    const values = new ValuesDir().set('base.yaml', ['operator', 'delivery'], 'helm');
    try {
      const fresh = join(scratch, 'fresh');
      const adopted = join(scratch, 'adopted');
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir: adopted, allowStorageChange: false });
      rmSync(join(adopted, OUTPUT_MARKER));
      const before = readTree(adopted);
      for (const outdir of [fresh, adopted]) {
        // WHEN
        expect(() =>
          runSynth(
            { environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir, allowStorageChange: false },
            { helmExecutable: join(scratch, 'no-helm') },
          ),
        ).toThrow();
      }
      // THEN
      expect(existsSync(fresh)).toBe(false);
      expect(readTree(adopted)).toEqual(before);
    } finally {
      values.remove();
    }
  });
});

describe('output permissions', () => {
  test.each([
    ['022', 0o755, 0o644],
    ['027', 0o750, 0o640],
  ])('follow the umask %s: folders and files of a full synth, the SOPS copy included', (umask, folderMode, fileMode) => {
    const outdir = join(scratch, `out-${umask}`);
    const run = spawnSync(
      'sh',
      [
        '-c',
        `umask ${umask} && exec "$0" "$@"`,
        process.execPath,
        RUN,
        join(ROOT, 'main.ts'),
        '--values-dir',
        FIXTURE_VALUES,
        '--outdir',
        outdir,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      },
    );
    expect(run.status).toBe(0);
    const mode = (path: string) => lstatSync(join(outdir, path)).mode & 0o777;
    expect([mode(''), mode('dev'), mode('dev/kind')]).toEqual([folderMode, folderMode, folderMode]);
    expect([mode(OUTPUT_MARKER), mode('dev/kind/0001-cluster.k8s.yaml'), mode('dev/kind/0001-cluster.secret.sops.yaml')]).toEqual([
      fileMode,
      fileMode,
      fileMode,
    ]);
  });
});

describe("the GitOps folders of a target (argocd/, flux/) are synth's own", () => {
  test("an unmarked folder holding only synth's files and folders is adopted; a file of yours inside argocd/ is replaced, one beside it kept", () => {
    // GIVEN an unmarked output folder with dev/vultr as synth writes it, plus a file of the user's in argocd/
    const outdir = mkdtempSync(join(tmpdir(), 'restate-stack-gitops-own-'));
    try {
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
      rmSync(join(outdir, OUTPUT_MARKER));
      // WHEN synthesized again into it: the folder is adopted (nothing in it is foreign)
      expect(() =>
        runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false }),
      ).not.toThrow();
      writeFileSync(join(outdir, 'dev/vultr/argocd/mine.yaml'), 'x: 1\n');
      writeFileSync(join(outdir, 'dev/vultr/kustomization.yaml'), 'resources: []\n');
      const result = runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
      // THEN argocd/ is written whole (the stray file goes), the file beside it is kept and named in a warning
      expect(existsSync(join(outdir, 'dev/vultr/argocd/mine.yaml'))).toBe(false);
      expect(readFileSync(join(outdir, 'dev/vultr/kustomization.yaml'), 'utf8')).toBe('resources: []\n');
      expect(result.warnings).toContainEqual({
        id: 'foreign-files-kept',
        target: 'dev/vultr',
        text: "kept kustomization.yaml (not synth's)",
      });
      expect(result.warnings.some((w) => w.text.includes('argocd'))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
