import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadTargetValues, ValuesError } from '../../lib/values';

/**
 * The tests' own values: a copy of the values the project shipped, which the tests own and a user never edits. Every
 * test of the tool's behaviour reads these (or a ValuesDir copy of them), so that it passes whatever the user's
 * values/ say.
 */
export const FIXTURE_VALUES = resolve(__dirname, '..', 'fixtures', 'values');

/**
 * The user's values/: read only by the checks of the user's own targets (snapshots, upstream schemas, determinism),
 * which follow whatever the values say; after an intended change `npm test -- -u` updates their snapshots.
 */
export const USER_VALUES = resolve(__dirname, '..', '..', 'values');

/** A scratch copy of the tests' values (FIXTURE_VALUES) that a test may change. */
export class ValuesDir {
  public readonly path: string;
  /** What remove() deletes: the temporary folder made for the copy, or the copy itself when put into `into`. */
  private readonly scratch: string;

  /** @param into - the folder to copy into (one that does not exist yet); by default `values/` in a new temporary folder */
  constructor(into?: string) {
    this.path = into ?? join(mkdtempSync(join(tmpdir(), 'restate-stack-values-')), 'values');
    this.scratch = into ?? resolve(this.path, '..');
    cpSync(FIXTURE_VALUES, this.path, { recursive: true });
  }

  /** Sets (or, with undefined, deletes) a key path in one file, e.g. set('environments/dev.yaml', ['replicas'], 2). */
  set(file: string, path: readonly string[], value: unknown): this {
    const full = join(this.path, file);
    const doc = parseDocument(readFileSync(full, 'utf8'));
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, value);
    writeFileSync(full, doc.toString());
    return this;
  }

  write(file: string, text: string): this {
    writeFileSync(join(this.path, file), text);
    return this;
  }

  /** The messages, one per line, of the ValuesError that loading a target from this folder throws. */
  errorsOf(environment = 'dev', provider = 'vultr'): string[] {
    try {
      loadTargetValues(this.path, environment, provider);
    } catch (error) {
      if (error instanceof ValuesError) return error.message.split('\n');
      throw error;
    }
    throw new Error(`expected a ValuesError, but ${environment}/${provider} loaded`);
  }

  remove(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
