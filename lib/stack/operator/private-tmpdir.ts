import { mkdtempSync, rmSync } from 'node:fs';
import os = require('node:os');
import { join } from 'node:path';

type TmpdirHolder = { tmpdir: () => string };

/**
 * Runs `work` with `os.tmpdir()` answering a fresh folder, and removes that folder afterwards.
 *
 * Why: cdk8s' `Helm` construct writes the values file and the rendered chart into `mkdtemp(os.tmpdir())` and
 * never deletes them (cdk8s 2.70). The construct, helm run and file read included, is synchronous, so
 * answering a folder of our own for the duration of the call scopes its leftovers to a folder we can delete.
 * `os.tmpdir` itself is swapped, not TMPDIR: jest gives each test file a copy of `process.env` that Node's
 * own `os.tmpdir()` never reads, while the `os` module object is shared.
 */
export function withPrivateTmpdir<T>(prefix: string, work: () => T): T {
  const holder = os as unknown as TmpdirHolder;
  const original = holder.tmpdir;
  const dir = mkdtempSync(join(original(), prefix));
  holder.tmpdir = () => dir;
  try {
    return work();
  } finally {
    holder.tmpdir = original;
    rmSync(dir, { recursive: true, force: true });
  }
}
