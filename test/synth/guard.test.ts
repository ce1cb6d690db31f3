import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { ManifestError } from '../../lib/target-folder/manifest-error';
import { GitRepo } from '../support/git-repo';
import { readTree } from '../support/tree';
import { ValuesDir } from '../support/values-dir';

/** A git repository holding a values copy and its committed dist/ (dev/vultr, 40Gi on vultr-block-storage). */
class Repo extends GitRepo {
  constructor() {
    super('guard');
    this.synth();
    this.commit('dist of 40Gi');
  }

  synth(options: { base?: string; allowStorageChange?: boolean } = {}) {
    return runSynth({
      environment: 'dev',
      provider: 'vultr',
      valuesDir: this.values.path,
      outdir: this.dist,
      allowStorageChange: options.allowStorageChange ?? false,
      base: options.base,
    });
  }
}

const CLUSTER = 'dev/vultr/0001-cluster.k8s.yaml';
const SHRINK = /storage\.size \(set in [^)]*\): shrinks the volumes from 42949672960 to 21474836480 bytes/;

let repo: Repo;
beforeEach(() => {
  repo = new Repo();
});
afterEach(() => repo.remove());

describe('the storage guard compares with the output committed in git', () => {
  test("a shrink is refused although dist/ was deleted from disk (as cdk8s-cli's synth does first)", () => {
    // GIVEN the committed dist/ gone from the working tree, and a smaller size in the values
    rmSync(repo.dist, { recursive: true });
    repo.values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
    // WHEN / THEN the guard still sees HEAD's 40Gi, and writes nothing
    expect(() => repo.synth()).toThrow(SHRINK);
    expect(readTree(repo.dist)).toEqual({});
  });

  test('a shrink is refused although the folder on disk was already rewritten with the smaller size', () => {
    // GIVEN the working tree's cluster file edited (or synthesized with --allow-storage-change) to 20Gi, uncommitted
    const file = join(repo.dist, CLUSTER);
    writeFileSync(file, readFileSync(file, 'utf8').replace('storageRequestBytes: 42949672960', 'storageRequestBytes: 21474836480'));
    repo.values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
    const before = readTree(repo.dist);
    // WHEN / THEN
    expect(() => repo.synth()).toThrow(SHRINK);
    expect(readTree(repo.dist)).toEqual(before);
  });

  test("--base REF compares with a pull request's merge base, not with the branch's own commits", () => {
    // GIVEN a branch that committed the shrink (values and dist, built with --allow-storage-change)
    repo.git(['checkout', '-qb', 'shrink']);
    repo.values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
    repo.synth({ allowStorageChange: true });
    repo.commit('shrink');
    // WHEN synthesizing on the branch: against HEAD all is well, against main it is a shrink
    expect(() => repo.synth()).not.toThrow();
    expect(() => repo.synth({ base: 'main' })).toThrow(SHRINK);
  });

  test('--base that is not a commit is a usage error', () => {
    expect(() => repo.synth({ base: 'no-such-branch' })).toThrow(
      `(command line): --base: "no-such-branch" is not a commit of the git repository`,
    );
  });

  test.each([
    ['conflict markers', (text: string) => `<<<<<<< HEAD\n${text}=======\n${text}>>>>>>> theirs\n`, 'is not valid YAML'],
    ['garbage without a kind', () => 'just: some\ngarbage: here\n', 'holds no RestateCluster (kind: RestateCluster)'],
    [
      'a RestateCluster without spec',
      () => 'apiVersion: restate.dev/v1\nkind: RestateCluster\nmetadata: { name: restate-dev }\n',
      'has a RestateCluster without spec',
    ],
    [
      'a spec without storage',
      () => 'apiVersion: restate.dev/v1\nkind: RestateCluster\nmetadata: { name: restate-dev }\nspec: {}\n',
      'has no whole-number spec.storage.storageRequestBytes',
    ],
  ])('a committed cluster file with %s is an error naming the file, never a pass', (_what, corrupt, message) => {
    // GIVEN a committed cluster file that cannot be read back
    const file = join(repo.dist, CLUSTER);
    writeFileSync(file, corrupt(readFileSync(file, 'utf8')));
    repo.commit('broken');
    const before = readTree(repo.dist);
    // WHEN / THEN
    expect(() => repo.synth()).toThrow(ManifestError);
    expect(() => repo.synth()).toThrow(`HEAD:dist/${CLUSTER}: ${message}`);
    expect(readTree(repo.dist)).toEqual(before);
  });

  test('an output folder with nothing committed says that the guard had nothing to compare with', () => {
    // GIVEN a second, uncommitted output folder in the repository
    const result = runSynth({
      environment: 'dev',
      provider: 'vultr',
      valuesDir: repo.values.path,
      outdir: join(repo.root, 'other'),
      allowStorageChange: false,
    });
    expect(result.warnings).toEqual([]);
    const again = runSynth({
      environment: 'dev',
      provider: 'vultr',
      valuesDir: repo.values.path,
      outdir: join(repo.root, 'other'),
      allowStorageChange: false,
    });
    expect(again.warnings).toEqual([
      {
        id: 'no-committed-output',
        text: `nothing under ${join(repo.root, 'other')} is committed at HEAD, so the change guards compared with nothing; commit it`,
      },
    ]);
  });
});

describe('outside a git repository', () => {
  test('the guard compares with the folder on disk, and says so', () => {
    const values = new ValuesDir();
    const outdir = join(mkdtempSync(join(tmpdir(), 'restate-stack-nogit-')), 'dist');
    try {
      const first = runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir, allowStorageChange: false });
      expect(first.warnings).toEqual([]);
      values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
      expect(() => runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir, allowStorageChange: false })).toThrow(
        SHRINK,
      );
      values.set('environments/dev.yaml', ['storage', 'size'], '50Gi');
      const grown = runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir, allowStorageChange: false });
      expect(grown.warnings).toEqual([
        {
          id: 'guards-read-disk',
          text: `${outdir} is not in a git repository: the change guards compared with the files on disk; commit it`,
        },
      ]);
    } finally {
      values.remove();
      rmSync(join(outdir, '..'), { recursive: true, force: true });
    }
  });
});
