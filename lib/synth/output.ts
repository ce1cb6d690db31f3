import {
  cpSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SYNTH_JOURNAL } from '../target-folder/files';
import { LOCK_FILE, processRunning } from './lock';

/**
 * Replaces target folders so that, after a kill at any moment, each is wholly old or wholly new once the next
 * synth ran. Without an atomic exchange of two folders (Node has no renameat2), a replacement is two renames
 * (old folder aside, new one into place); the journal makes the pair recoverable:
 *
 * 1. Every target is built in a staging folder inside the output folder (same filesystem, so renames work).
 * 2. Only when staging is complete, the journal listing the moves is written (whole, then renamed into place).
 * 3. The moves run; then the journal is removed, then the staging folder (with the old folders in it).
 *
 * A kill before 2 leaves only staging, which the next synth deletes: nothing changed. A kill after 2 leaves
 * the journal, and the next synth finishes its moves first. Deploy and verify refuse to read an output folder
 * with a journal in it. Call all of this with the output's {@link OutputLock} held.
 */
export const STAGING_PREFIX = '.synth-staging-';

interface Journal {
  /** The staging folder's name, inside the output folder. */
  readonly staging: string;
  /** Target folders to put in place, in order; `staged` says whether there is a new folder (else: removal). */
  readonly moves: ReadonlyArray<{ readonly folder: string; readonly staged: boolean }>;
}

const newDir = (staging: string, folder: string) => join(staging, 'new', folder);
const oldDir = (staging: string, folder: string) => join(staging, 'old', folder);

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export class StagedOutput {
  public readonly staging: string;
  private readonly root: string;
  private readonly onStep?: (step: string) => void;
  /** The journal is written: from then on only {@link recoverOutput} (or the moves) may touch staging. */
  private committed = false;

  /** Whether the moves began (the journal is written): the output may have changed. */
  get started(): boolean {
    return this.committed;
  }

  /** @param onStep called before each step of the commit (for crash tests: throwing there is a kill there) */
  constructor(root: string, onStep?: (step: string) => void) {
    this.root = root;
    this.onStep = onStep;
    this.staging = mkdtempSync(join(root, STAGING_PREFIX));
  }

  /** Where the new contents of `folder` (e.g. `dev/vultr`) are built. */
  folder(folder: string): string {
    return newDir(this.staging, folder);
  }

  /**
   * Copies what synth did not write in a current target folder (`foreign`: paths relative to the output) into
   * its new one, so that replacing the folder keeps it.
   */
  keep(foreign: readonly string[]): void {
    for (const entry of foreign) {
      const destination = join(this.staging, 'new', entry);
      mkdirSync(dirname(destination), { recursive: true });
      cpSync(join(this.root, entry), destination, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
  }

  /** Puts `replace` (built with {@link folder}) in place and removes `remove`: target folders, relative to the output. */
  commit(replace: readonly string[], remove: readonly string[]): void {
    const journal: Journal = {
      staging: basename(this.staging),
      moves: [...replace, ...remove].map((folder) => ({ folder, staged: present(newDir(this.staging, folder)) })),
    };
    const file = join(this.root, SYNTH_JOURNAL);
    const temporary = `${file}.${process.pid}`;
    const step = this.onStep ?? (() => undefined);
    step('journal');
    writeFileSync(temporary, `${JSON.stringify(journal)}\n`);
    const fd = openSync(temporary, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, file);
    this.committed = true;
    finish(this.root, journal, step);
  }

  /**
   * Removes the staging folder unless the moves were started: then it holds old target folders moved aside
   * and new ones not yet in place, and the journal lets the next synth finish them.
   */
  discard(): void {
    if (!this.committed) rmSync(this.staging, { recursive: true, force: true });
  }
}

/** Runs (or, after a kill, goes on with) the journal's moves, then removes the journal and the staging folder. */
function finish(root: string, journal: Journal, step: (step: string) => void = () => undefined): void {
  const staging = join(root, journal.staging);
  for (const { folder, staged } of journal.moves) {
    const target = join(root, folder);
    // The new folder leaves staging only by its rename into place: while it is still there, the move is to do.
    if (staged && !present(newDir(staging, folder))) continue;
    if (present(target)) {
      step(`aside ${folder}`);
      mkdirSync(dirname(oldDir(staging, folder)), { recursive: true });
      renameSync(target, oldDir(staging, folder));
    }
    if (staged) {
      step(`in place ${folder}`);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(newDir(staging, folder), target);
    } else {
      removeIfEmpty(dirname(target));
    }
  }
  step('journal removal');
  rmSync(join(root, SYNTH_JOURNAL), { force: true });
  step('staging removal');
  rmSync(staging, { recursive: true, force: true });
}

function removeIfEmpty(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // not there, or not empty
  }
}

/**
 * What a killed synth left in `root`: finishes the moves of its journal, removes its staging folders and
 * temporary files. Returns what it did, for the user. Call it with the lock held.
 */
export function recoverOutput(root: string): string[] {
  const notes: string[] = [];
  const journalFile = join(root, SYNTH_JOURNAL);
  if (existsSync(journalFile)) {
    let journal: Journal;
    try {
      journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Journal;
      if (typeof journal.staging !== 'string' || !journal.staging.startsWith(STAGING_PREFIX) || !Array.isArray(journal.moves))
        throw new Error('not a synth journal');
      // Only ever <environment>/<provider> folders: a journal moves nothing outside the output's target folders.
      if (!journal.moves.every((move) => /^[a-z0-9-]+\/[a-z0-9-]+$/.test(move.folder) && typeof move.staged === 'boolean')) {
        throw new Error('a move that is not of a target folder');
      }
    } catch (error) {
      throw new Error(
        `${journalFile} cannot be read (${(error as Error).message}): an interrupted synth left it, but not whole. ` +
          'Check each target folder (git status), restore what is missing from git, then delete the journal',
      );
    }
    finish(root, journal);
    notes.push(`finished the moves of an interrupted synth (${journal.moves.map(({ folder }) => folder).join(', ')})`);
  }
  let litter = 0;
  for (const name of readdirSync(root)) {
    if (!name.startsWith('.synth-') || name === LOCK_FILE) continue;
    // Temporary files of other, waiting synths end in their pid: those of running processes are theirs.
    const pid = /\.(?:stale-)?(\d+)$/.exec(name)?.[1];
    if (!name.startsWith(STAGING_PREFIX) && pid !== undefined && Number(pid) !== process.pid && processRunning(Number(pid))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    litter += 1;
  }
  if (litter > 0) notes.push(`removed ${litter} staging folder(s) or temporary file(s) of an interrupted synth`);
  return notes;
}
