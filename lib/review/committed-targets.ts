import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { isSynthPath } from '../target-folder/files';
import { ValuesError } from '../values';
import { catFiles } from '../synth/committed';

/** The files of every target folder, by `<environment>/<provider>` and path below it (`argocd/application.yaml`). */
export type TargetFiles = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface CommittedTargets {
  /** The revision as given (`HEAD`, `origin/main`) and the commit it names. */
  readonly ref: string;
  readonly commit: string;
  /** The output folder inside the repository, as git names it (`dist`). */
  readonly prefix: string;
  readonly targets: TargetFiles;
}

function git(cwd: string, args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('git', [...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) return { code: -1, stdout: '', stderr: result.error.message };
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The nearest existing folder of `path` (the output folder need not exist on disk). */
function existingFolder(path: string): string {
  let at = resolve(path);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * The target folders committed under `dist` at revision `ref`: read from git (`ls-tree`, one `cat-file --batch`),
 * never from the folder on disk, which may be deleted, hand-edited or already rewritten. Only synth's own files
 * count (`NNNN-<chart>.k8s.yaml`, the SOPS Secret, everything below argocd/ and flux/); files of the user's beside
 * them are not synth's change.
 */
export function committedTargets(dist: string, ref: string): CommittedTargets {
  const at = existingFolder(dist);
  const top = git(at, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0)
    throw ValuesError.single(
      '(command line)',
      '--dist',
      `${dist} is not inside a git repository: plan compares with the committed targets, and there are none`,
    );
  const toplevel = top.stdout.trim();
  const commit = git(toplevel, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (commit.code !== 0) throw ValuesError.single('(command line)', '--base', `"${ref}" is not a commit of the git repository ${toplevel}`);
  // Through real paths on both sides: a temporary folder under a symbolic link (/tmp on macOS) still lies inside.
  const absolute = resolve(dist);
  const real = existsSync(absolute) ? realpathSync(absolute) : resolve(realpathSync(at), relative(at, absolute));
  const prefix = relative(realpathSync(toplevel), real).split(sep).join('/');
  if (prefix.startsWith('..')) throw ValuesError.single('(command line)', '--dist', `${dist} is outside the git repository ${toplevel}`);
  const listing = git(toplevel, ['ls-tree', '-r', '-z', commit.stdout.trim(), '--', prefix === '' ? '.' : prefix]);
  if (listing.code !== 0) throw new Error(`git ls-tree ${ref} -- ${prefix} failed: ${listing.stderr.trim()}`);

  const wanted: Array<{ folder: string; file: string; blob: string }> = [];
  for (const line of listing.stdout.split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (!match) continue;
    const inside = prefix === '' ? match[2]! : match[2]!.slice(prefix.length + 1);
    const parts = inside.split('/');
    if (parts.length < 3 || parts.slice(0, 2).some((part) => part.startsWith('.'))) continue;
    const file = parts.slice(2).join('/');
    if (!isSynthPath(file)) continue;
    wanted.push({ folder: `${parts[0]}/${parts[1]}`, file, blob: match[1]! });
  }
  const texts =
    wanted.length > 0
      ? catFiles(
          toplevel,
          wanted.map((entry) => entry.blob),
        )
      : [];
  const targets = new Map<string, Map<string, string>>();
  wanted.forEach((entry, index) => {
    if (!targets.has(entry.folder)) targets.set(entry.folder, new Map());
    targets.get(entry.folder)!.set(entry.file, texts[index]!);
  });
  return { ref, commit: commit.stdout.trim(), prefix: prefix === '' ? '.' : prefix, targets };
}
