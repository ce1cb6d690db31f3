import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValuesDir } from './values-dir';

/** Runs git in `cwd` as a fixed test identity (a new repository's branch is `main`): its stdout, or an Error with its stderr. */
export function git(cwd: string, args: readonly string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export interface GitRepoOptions {
  /**
   * Put the values copy into the repository as `values/`, committed with `dist/` as a user has it, rather than in
   * a folder of its own outside git.
   * @default false
   */
  readonly valuesInRepo?: boolean;
}

/**
 * A scratch git repository (a new temporary folder `restate-stack-<name>-XXXXXX`, git initialized) and a copy of
 * the tests' values (test/fixtures/values) that a test may change: where a test synthesizes into `dist/` and commits, for the
 * guards and the plan that compare with the targets committed in git.
 */
export class GitRepo {
  /** The repository's work tree. */
  readonly root: string;
  /** `dist/` in it (not made here). */
  readonly dist: string;
  /** The values copy. */
  readonly values: ValuesDir;

  /** @param name - part of the temporary folder's name */
  constructor(name: string, options: GitRepoOptions = {}) {
    this.root = mkdtempSync(join(tmpdir(), `restate-stack-${name}-`));
    this.dist = join(this.root, 'dist');
    this.values = options.valuesInRepo ? new ValuesDir(join(this.root, 'values')) : new ValuesDir();
    this.git(['init', '-q']);
  }

  /** Runs git in the repository; its stdout. */
  git(args: readonly string[]): string {
    return git(this.root, args);
  }

  /** Stages everything in the work tree and commits it. */
  commit(message: string): void {
    this.git(['add', '-A']);
    this.git(['commit', '-qm', message]);
  }

  /** Deletes the repository and the values copy. */
  remove(): void {
    this.values.remove();
    rmSync(this.root, { recursive: true, force: true });
  }
}
