import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOldEntries } from '../../lib/control-plane/build';

describe('the control plane cache', () => {
  test('keeps the binaries of the last three pins built and nothing else of theirs, leaving other files alone', () => {
    // GIVEN a cache with five pins' folders, a build in progress and the record of the builds
    const root = mkdtempSync(join(tmpdir(), 'cp-cache-'));
    const names = [
      'v1.36.3-0000000000000001',
      'v1.37.1-0000000000000002',
      'v1.37.2-0000000000000003',
      'v1.37.2-0000000000000004',
      'v1.38.0-0000000000000005',
    ];
    for (const name of [...names, '.build-123-abcd']) mkdirSync(join(root, name));
    const builds = names.map((name, i) => ({ entry: join(root, name), seconds: 30, compiled: 0, at: `2026-12-0${i + 1}T00:00:00Z` }));
    try {
      // WHEN the old ones are removed after the last build
      removeOldEntries(root, builds);

      // THEN the last three built are left, and the build in progress
      expect(readdirSync(root).sort()).toEqual(['.build-123-abcd', ...names.slice(2)].sort());
      expect(existsSync(join(root, names[0]))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
