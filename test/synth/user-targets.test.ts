import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { describeTargetChecks, synthesizeAll } from '../support/target-checks';
import { readTree } from '../support/tree';
import { USER_VALUES } from '../support/values-dir';

// The checks of the user's own targets: what synth makes of values/ as they are now. They follow the values, so
// after an intended change to values/: `npm run synth` (dist/), read the snapshot diff this file prints, then
// `npm test -- -u` (docs/development.md, "Changing your values and the tests"). Every other test reads the tests'
// own values (test/fixtures/values) and passes whatever values/ say.
const DIST = resolve(__dirname, '..', '..', 'dist');

describe('your targets (values/; after an intended change: npm run synth, then npm test -- -u)', () => {
  const targets = synthesizeAll(USER_VALUES);

  test.each(targets.folders.map((folder) => [folder]))('%s matches its snapshot', (folder) => {
    expect(readTree(join(targets.outdir, folder))).toMatchSnapshot();
  });

  test('dist/ is what a synth of values/ writes now (otherwise: npm run synth, and commit dist/)', () => {
    // GIVEN a copy of dist/ WHEN synth runs on it, as `npm run synth` would on dist/ itself
    const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-user-dist-'));
    try {
      const copy = join(scratch, 'dist');
      if (existsSync(DIST)) cpSync(DIST, copy, { recursive: true });
      runSynth({ valuesDir: USER_VALUES, outdir: copy, allowStorageChange: false });
      // THEN no file changed, came or went
      const [before, after] = [readTree(DIST), readTree(copy)];
      const differ = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((file) => before[file] !== after[file]).sort();
      if (differ.length > 0) {
        throw new Error(`dist/ differs from a fresh synth of values/ (${differ.join(', ')}): run \`npm run synth\` and commit dist/`);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  describeTargetChecks(targets);
});
