import {
  type Dirent,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { isSynthEntry, OUTPUT_MARKER } from '../target-folder/files';
import { ValuesError } from '../values';

/** What the marker file says; fixed text, so the committed output stays byte-deterministic. */
export const MARKER_TEXT =
  'This folder is the output of `npm run synth` (restate-stack).\n' +
  'Synth replaces, in each <environment>/<provider>/ folder, only the files named NNNN-<chart>.k8s.yaml and\n' +
  '0001-cluster.secret.sops.yaml and the folders argocd/ and flux/ (whole), and keeps every other file\n' +
  '(it lists them in a warning).\n';

/** The output folder of a synth, checked to be one that synth may write into. */
export interface OutputRoot {
  /** As the user named it, for messages. */
  readonly shown: string;
  /** The real folder (symbolic links resolved, so a linked output folder stays a link); may not exist yet. */
  readonly path: string;
  readonly exists: boolean;
  /** Holds synth's marker file: synth wrote it, and may replace its own files in it. */
  readonly marked: boolean;
}

/** How many foreign paths an error message lists. */
const LISTED = 5;

function refuse(message: string): never {
  throw ValuesError.single('(command line)', '--outdir', message);
}

/** The real path of `path`, also when its last segments do not exist yet. */
function realPathOf(path: string): string {
  const missing: string[] = [];
  let at = path;
  while (!existsSync(at)) {
    missing.unshift(basename(at));
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  return join(realpathSync(at), ...missing);
}

const inside = (path: string, folder: string) => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/**
 * Checks, without writing anything, that `outdir` is a folder synth may write `targets` into: not a file, not
 * the root of a repository, not holding the values or the working directory, and either marked as synth's
 * own, or (an output written before the marker existed) holding nothing but files of synth's own names.
 * Every refusal names the path and says what to do.
 */
export function inspectOutputRoot(outdir: string, valuesDir: string, targets: readonly string[]): OutputRoot {
  const shown = outdir;
  let exists = false;
  let lstat;
  try {
    lstat = lstatSync(resolve(outdir));
  } catch {
    lstat = undefined;
  }
  if (lstat) {
    let stat;
    try {
      stat = statSync(resolve(outdir));
    } catch {
      refuse(
        `${shown} is a symbolic link to nothing (${readlinkTarget(outdir)}); create the folder it points to, or name another --outdir`,
      );
    }
    if (!stat.isDirectory())
      refuse(`${shown} is a file, not a folder: synth writes a folder of <environment>/<provider>/ target folders. Name another --outdir`);
    exists = true;
  }
  const path = realPathOf(resolve(outdir));
  if (path === sep || path === realPathOf(homedir()))
    refuse(`${shown} is ${path === sep ? 'the filesystem root' : 'your home folder'}; name a folder of its own, such as dist`);
  if (exists && existsSync(join(path, '.git')))
    refuse(`${shown} is the root of a git repository; name a folder of its own inside it, such as dist`);
  if (inside(realPathOf(process.cwd()), path)) refuse(`${shown} holds the working directory; name a folder of its own, such as dist`);
  const values = realPathOf(resolve(valuesDir));
  if (inside(values, path))
    refuse(`${shown} holds the values folder ${valuesDir}; synth would write over its own input. Name a folder of its own, such as dist`);

  const marked = exists && existsSync(join(path, OUTPUT_MARKER));
  if (exists && !marked) {
    const foreign = foreignEntries(path);
    if (foreign.length > 0) {
      const listed = foreign
        .slice(0, LISTED)
        .map((entry) => join(shown, entry))
        .join(', ');
      const more = foreign.length > LISTED ? ` and ${foreign.length - LISTED} more` : '';
      refuse(
        `${shown} is not synth's output folder (it has no ${OUTPUT_MARKER}) and holds what synth did not write: ${listed}${more}. ` +
          "Synth only replaces what it wrote. Name a new or empty folder, or move these away; if this is synth's output and " +
          `they should stay, create ${join(shown, OUTPUT_MARKER)} and synth will keep them`,
      );
    }
  }
  if (exists) {
    for (const target of targets) {
      for (const folder of [dirname(target), target]) {
        const full = join(path, folder);
        let stat;
        try {
          stat = lstatSync(full);
        } catch {
          continue;
        }
        if (stat.isSymbolicLink())
          refuse(
            `${join(shown, folder)} is a symbolic link; synth replaces target folders and will not replace a link. Remove it, or name another --outdir`,
          );
        if (!stat.isDirectory())
          refuse(`${join(shown, folder)} is a file where synth writes a folder; move it away, or name another --outdir`);
      }
    }
  }
  return { shown, path, exists, marked };
}

function readlinkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

/**
 * Paths (relative to `root`) that a synth could not have written: anything but `<environment>/<provider>/`
 * folders of synth's file names and folders. Symbolic links count as foreign and are not followed.
 */
export function foreignEntries(root: string): string[] {
  const foreign: string[] = [];
  for (const env of listing(root)) {
    if (!env.isDirectory() || env.name.startsWith('.')) {
      if (env.name !== OUTPUT_MARKER) foreign.push(env.name);
      continue;
    }
    for (const provider of listing(join(root, env.name))) {
      const folder = join(env.name, provider.name);
      if (!provider.isDirectory()) {
        foreign.push(folder);
        continue;
      }
      const inTarget = listing(join(root, folder));
      foreign.push(...inTarget.filter((entry) => !ownEntry(entry)).map((entry) => join(folder, entry.name)));
    }
  }
  return foreign;
}

/** A folder's entries by name; an unreadable folder lists as one foreign entry of itself. */
function listing(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true }).sort(byName);
  } catch {
    return [{ name: '(unreadable)', isFile: () => false, isDirectory: () => false } as unknown as Dirent];
  }
}

/** Entries of a target folder (relative to `root`) that are not synth's own files. */
export function foreignInTarget(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true })
    .sort(byName)
    .filter((entry) => !ownEntry(entry))
    .map((entry) => join(folder, entry.name));
}

/** Synth's own entries of a target folder: its file names, and its folders (argocd/, flux/) as a whole. */
function ownEntry(entry: Dirent): boolean {
  return (entry.isFile() || entry.isDirectory()) && isSynthEntry(entry.name, entry.isDirectory());
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Creates the output folder if needed and marks it as synth's own. Returns what to undo if the synth then fails
 * before writing anything: the folder (created), or the marker (an adopted folder).
 */
export function claimOutputRoot(root: OutputRoot): 'created' | 'marked' | 'none' {
  const created = !existsSync(root.path);
  const marked = existsSync(join(root.path, OUTPUT_MARKER));
  mkdirSync(root.path, { recursive: true });
  const marker = join(root.path, OUTPUT_MARKER);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== MARKER_TEXT) {
    const temporary = join(root.path, `.synth-marker-${process.pid}`);
    writeFileSync(temporary, MARKER_TEXT);
    renameSync(temporary, marker);
  }
  return created ? 'created' : marked ? 'none' : 'marked';
}

/** Undoes {@link claimOutputRoot} after a synth that wrote nothing. */
export function unclaimOutputRoot(root: OutputRoot, claimed: 'created' | 'marked' | 'none'): void {
  if (claimed === 'marked') rmSync(join(root.path, OUTPUT_MARKER), { force: true });
  if (claimed === 'created') {
    try {
      if (readdirSync(root.path).every((name) => name === OUTPUT_MARKER)) rmSync(root.path, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}

/** `path` relative to the working directory when below it, for messages. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
