import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

export const REPO_VALUES = resolve(__dirname, '..', '..', 'values');

/** A scratch copy of the repository's values/ folder that a test may change. */
export class ValuesDir {
  public readonly path: string;

  constructor() {
    this.path = join(mkdtempSync(join(tmpdir(), 'restate-stack-values-')), 'values');
    cpSync(REPO_VALUES, this.path, { recursive: true });
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

  remove(): void {
    rmSync(resolve(this.path, '..'), { recursive: true, force: true });
  }
}
