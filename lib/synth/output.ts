import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes output so that a failure never leaves anything half-written: everything is built in a staging folder
 * beside the output folder (same filesystem), and only moved into place once all of it succeeded.
 */
export class StagedOutput {
  public readonly staging: string;
  private readonly outdir: string;

  constructor(outdir: string) {
    this.outdir = resolve(outdir);
    mkdirSync(dirname(this.outdir), { recursive: true });
    this.staging = mkdtempSync(join(dirname(this.outdir), `.synth-${basename(this.outdir)}-`));
  }

  /** Replaces the whole output folder with the staging folder: targets no longer built disappear. */
  replaceAll(): void {
    const old = `${this.staging}.old`;
    if (existsSync(this.outdir)) renameSync(this.outdir, old);
    renameSync(this.staging, this.outdir);
    rmSync(old, { recursive: true, force: true });
  }

  /** Replaces only the given sub-folders (e.g. `dev/vultr`), leaving other targets alone. */
  replaceFolders(folders: readonly string[]): void {
    for (const folder of folders) {
      const destination = join(this.outdir, folder);
      const old = join(this.staging, '.old', folder);
      mkdirSync(dirname(destination), { recursive: true });
      if (existsSync(destination)) {
        mkdirSync(dirname(old), { recursive: true });
        renameSync(destination, old);
      }
      renameSync(join(this.staging, folder), destination);
    }
    this.discard();
  }

  /** Removes the staging folder; safe to call more than once. */
  discard(): void {
    rmSync(this.staging, { recursive: true, force: true });
  }
}
