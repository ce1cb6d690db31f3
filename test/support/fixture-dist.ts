import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { FIXTURE_VALUES } from './values-dir';

let synthesized: string | undefined;

/**
 * Every target of the tests' values (test/fixtures/values), synthesized once per test process: the tests' own
 * "committed" dist/, where the user's dist/ follows whatever their values say. In the run's private TMPDIR
 * (test/support/temp-root.js removes it at the end); nobody may change it.
 */
export function fixtureDist(): string {
  if (synthesized === undefined) {
    const outdir = join(mkdtempSync(join(tmpdir(), 'restate-stack-fixture-dist-')), 'dist');
    runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
    synthesized = outdir;
  }
  return synthesized;
}
