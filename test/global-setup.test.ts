/**
 * The test run's global setup builds the Kubernetes control plane only when a selected test file uses it, so that
 * `npm run test:unit` and a run of unrelated files need no Go.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestPathPatterns } from '@jest/pattern';
import { controlPlaneTestFiles } from './support/global-setup';

const ROOT = resolve(__dirname, '..');
/** The ignore pattern of package.json's test:unit (`jest --testPathIgnorePatterns "…"`). */
const UNIT_IGNORE = [
  /--testPathIgnorePatterns "([^"]+)"/.exec(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['test:unit'])![1],
];
const relative = (files: string[]) => files.map((file) => file.slice(ROOT.length + 1)).sort();

function selected(patterns: string[], ignore = ['/node_modules/']): string[] {
  return relative(
    controlPlaneTestFiles(
      { rootDir: ROOT, testPathPatterns: new TestPathPatterns(patterns) },
      { rootDir: ROOT, testPathIgnorePatterns: ignore },
    ),
  );
}

describe('which test runs need the control plane', () => {
  test('a whole run selects the files that start a control plane (live ones only), wherever they are', () => {
    const files = selected([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'test/control-plane/harness.live.test.ts',
        'test/control-plane/build.live.test.ts',
        'test/stack/gitops/argocd-sync.live.test.ts',
      ]),
    );
    expect(files.filter((file) => !file.endsWith('.live.test.ts'))).toEqual([]);
  });

  test('npm run test:unit selects none', () => {
    expect(UNIT_IGNORE).toEqual(['\\.live\\.test\\.ts$']);
    expect(selected([], UNIT_IGNORE)).toEqual([]);
  });

  test('a path pattern selects what it matches', () => {
    expect(selected(['test/control-plane/harness'])).toEqual(['test/control-plane/harness.live.test.ts']);
    expect(selected([join('test', 'values')])).toEqual([]);
  });
});
