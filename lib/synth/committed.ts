import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ValuesError, type Warning } from '../values';
import { shownPath } from './outdir';

/** A file of the committed output, with the name to show in messages (`HEAD:dist/dev/vultr/…` or a path). */
export interface CommittedFile {
  readonly label: string;
  readonly text: string;
}

/**
 * Where the guards read the output a change is compared with: the output folder as committed at a git
 * revision (`HEAD`, or the merge base of a pull request), never whatever happens to be on disk, which a
 * deleted or hand-edited folder would make pass. Only outside a git repository is the folder on disk read,
 * and `note` says so.
 */
export interface CommittedOutput {
  /** Reads `<target folder>/<file>` as committed, or undefined when it is not there. */
  read(folder: string, file: string): CommittedFile | undefined;
  /** The names of the files committed directly in `<target folder>`, sorted. */
  files(folder: string): string[];
  /** What the user should know about the comparisons made so far (disk fallback, nothing committed yet). */
  notes(): Warning[];
}

function git(cwd: string, args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('git', [...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) return { code: -1, stdout: '', stderr: result.error.message };
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Whether `outdir` holds anything a guard could have compared with (an empty new folder does not). */
function holdsTargets(outdir: string): boolean {
  return existsSync(outdir) && readdirSync(outdir).some((name) => !name.startsWith('.'));
}

/** The nearest existing folder of `path` (the output folder may not exist yet). */
function existingFolder(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * The committed output for the output folder at real path `outdir` (shown as `shown`), at revision `base`
 * (default `HEAD`). A `base` that is not a commit is a usage error.
 */
export function committedOutput(outdir: string, shown: string, base?: string): CommittedOutput {
  const top = git(existingFolder(outdir), ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) {
    if (base !== undefined)
      throw ValuesError.single(
        '(command line)',
        '--base',
        `${shown} is not inside a git repository, so there is no revision ${base} to compare with`,
      );
    return fromDisk(outdir, shown);
  }
  const toplevel = top.stdout.trim();
  const ref = base ?? 'HEAD';
  const commit = git(toplevel, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (commit.code !== 0) {
    if (base !== undefined)
      throw ValuesError.single('(command line)', '--base', `"${base}" is not a commit of the git repository ${toplevel}`);
    const note: Warning = {
      id: 'no-committed-output',
      text: `the git repository has no commit yet, so the change guards compared with nothing; commit ${shown}`,
    };
    return { read: () => undefined, files: () => [], notes: () => [note] };
  }
  const prefix = relative(toplevel, outdir).split(sep).join('/');
  const listing = git(toplevel, ['ls-tree', '-r', '-z', commit.stdout.trim(), '--', prefix === '' ? '.' : prefix]);
  if (listing.code !== 0) throw new Error(`git ls-tree ${ref} -- ${prefix} failed: ${listing.stderr.trim()}`);
  const blobs = new Map<string, string>();
  for (const line of listing.stdout.split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (match) blobs.set(match[2]!, match[1]!);
  }
  const note: Warning | undefined =
    blobs.size === 0 && holdsTargets(outdir)
      ? {
          id: 'no-committed-output',
          text: `nothing under ${shown} is committed at ${ref}, so the change guards compared with nothing; commit it`,
        }
      : undefined;
  const texts = new Map<string, string>();
  return {
    notes: () => (note ? [note] : []),
    files(folder) {
      const under = `${[prefix, folder.split(sep).join('/')].filter((part) => part !== '').join('/')}/`;
      return [...blobs.keys()]
        .filter((path) => path.startsWith(under) && !path.slice(under.length).includes('/'))
        .map((path) => path.slice(under.length))
        .sort();
    },
    read(folder, file) {
      const path = [prefix, folder.split(sep).join('/'), file].filter((part) => part !== '').join('/');
      if (!blobs.has(path)) return undefined;
      if (!texts.has(path)) {
        // Every committed file at once (the guards read them all, and dist/ is small): one git process rather
        // than one per file.
        const paths = [...blobs.keys()].filter((candidate) => !texts.has(candidate));
        catFiles(
          toplevel,
          paths.map((candidate) => blobs.get(candidate)!),
        ).forEach((text, index) => texts.set(paths[index]!, text));
      }
      return { label: `${ref}:${path}`, text: texts.get(path)! };
    },
  };
}

/** The contents of `blobs` (object ids), read by one `git cat-file --batch`. */
export function catFiles(toplevel: string, blobs: readonly string[]): string[] {
  const result = spawnSync('git', ['cat-file', '--batch'], {
    cwd: toplevel,
    input: blobs.map((blob) => `${blob}\n`).join(''),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error || result.status !== 0)
    throw new Error(`git cat-file --batch failed: ${result.error?.message ?? String(result.stderr).trim()}`);
  const out = result.stdout;
  const texts: string[] = [];
  let at = 0;
  for (const blob of blobs) {
    const end = out.indexOf(0x0a, at);
    const header = out.subarray(at, end).toString('utf8');
    const match = /^([0-9a-f]+) blob (\d+)$/.exec(header);
    if (!match || match[1] !== blob) throw new Error(`git cat-file --batch: unexpected answer "${header}" for ${blob}`);
    const size = Number(match[2]);
    texts.push(out.subarray(end + 1, end + 1 + size).toString('utf8'));
    at = end + 1 + size + 1;
  }
  return texts;
}

/** Outside git: the files on disk, and a note once one of them was compared with. */
function fromDisk(outdir: string, shown: string): CommittedOutput {
  let compared = false;
  return {
    notes: () =>
      compared
        ? [
            {
              id: 'guards-read-disk',
              text: `${shown} is not in a git repository: the change guards compared with the files on disk; commit it`,
            },
          ]
        : [],
    files(folder) {
      const path = join(outdir, folder);
      return existsSync(path)
        ? readdirSync(path, { withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => entry.name)
            .sort()
        : [];
    },
    read(folder, file) {
      const path = join(outdir, folder, file);
      if (!existsSync(path)) return undefined;
      compared = true;
      return { label: shownPath(join(shown, folder, file)), text: readFileSync(path, 'utf8') };
    },
  };
}
