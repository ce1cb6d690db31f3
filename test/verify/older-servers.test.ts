import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedServerPath, fileIntegrity, OLDER_SERVERS, olderServerBinary, type PinnedServer } from '../../lib/verify/older-servers';
import { SCENARIOS } from '../../lib/verify/scenarios';

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
const onLinuxX64 = linuxX64 ? test : test.skip;

/** A tarball laid out as npm packs `@restatedev/restate-server-linux-x64`, and an `npm` that "packs" it and counts its runs. */
function fakeRegistry(dir: string, binaryText: string): { npm: string; tarball: string; calls: () => number } {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'package', 'bin'), { recursive: true });
  writeFileSync(join(src, 'package', 'bin', 'restate-server'), binaryText);
  writeFileSync(join(src, 'package', 'package.json'), '{}');
  const tarball = join(dir, 'restatedev-restate-server-linux-x64-9.9.9.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', src, 'package']);
  const log = join(dir, 'npm-calls');
  const npm = join(dir, 'npm');
  // Copies the tarball to --pack-destination and prints what `npm pack --json` prints (the fields used).
  writeFileSync(
    npm,
    `#!/bin/sh\necho "$@" >> '${log}'\nwhile [ $# -gt 0 ]; do [ "$1" = --pack-destination ] && dest=$2; shift; done\n` +
      `cp '${tarball}' "$dest/"\necho '[{"filename":"restatedev-restate-server-linux-x64-9.9.9.tgz"}]'\n`,
  );
  chmodSync(npm, 0o755);
  return { npm, tarball, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0) };
}

describe('older restate-server binaries for the rolling-upgrade scenario', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'older-servers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  onLinuxX64(
    'GIVEN a pinned version not in the cache WHEN asked for THEN it is fetched with npm pack, checked against its sha512, extracted once and served from the cache after',
    () => {
      const registry = fakeRegistry(dir, '#!/bin/sh\necho restate-server 9.9.9\n');
      const pin: PinnedServer = {
        version: '9.9.9',
        package: '@restatedev/restate-server-linux-x64',
        integrity: fileIntegrity(registry.tarball),
      };
      const cacheDir = join(dir, 'cache');

      const path = olderServerBinary('9.9.9', { cacheDir, npm: registry.npm, servers: [pin] });
      const again = olderServerBinary('9.9.9', { cacheDir, npm: registry.npm, servers: [pin] });

      expect(path).toBe(cachedServerPath('9.9.9', cacheDir));
      expect(execFileSync(path, { encoding: 'utf8' })).toBe('restate-server 9.9.9\n');
      expect(again).toBe(path);
      expect(registry.calls()).toBe(1);
      expect(readFileSync(join(dir, 'npm-calls'), 'utf8')).toContain(
        'pack @restatedev/restate-server-linux-x64@9.9.9 --json --ignore-scripts',
      );
      expect(readdirSync(cacheDir)).toEqual(['9.9.9']);
    },
  );

  onLinuxX64('GIVEN a tarball whose sha512 is not the pinned one WHEN fetched THEN it is refused and nothing lands in the cache', () => {
    const registry = fakeRegistry(dir, 'something else');
    const pin: PinnedServer = {
      version: '9.9.9',
      package: '@restatedev/restate-server-linux-x64',
      integrity: `sha512-${Buffer.alloc(64).toString('base64')}`,
    };
    const cacheDir = join(dir, 'cache');

    expect(() => olderServerBinary('9.9.9', { cacheDir, npm: registry.npm, servers: [pin] })).toThrow(
      /not the pinned sha512-A+==: refusing to run it/,
    );
    expect(existsSync(cachedServerPath('9.9.9', cacheDir))).toBe(false);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  test('GIVEN a version that is not pinned WHEN asked for THEN the error names the pinned ones', () => {
    expect(() => olderServerBinary('1.4.4', { cacheDir: join(dir, 'cache') })).toThrow(
      'restate-server 1.4.4 is not pinned in lib/verify/older-servers.ts (pinned: 1.5.3, 1.6.1)',
    );
  });

  test('GIVEN the rolling-upgrade scenario WHEN its versions are read THEN it steps one minor at a time from pinned versions to the project own restate-server', () => {
    const upgrade = SCENARIOS.find((s) => s.name === 'rolling-upgrade')!;
    const own = (require('../../package.json') as { devDependencies: Record<string, string> }).devDependencies[
      '@restatedev/restate-server'
    ];
    const versions = upgrade.serverVersions!;

    expect(versions[versions.length - 1]).toBe(own);
    expect(versions.slice(0, -1).every((v) => OLDER_SERVERS.some((p) => p.version === v))).toBe(true);
    const minors = versions.map((v) => Number(v.split('.')[1]));
    expect(minors.slice(1).map((m, i) => m - minors[i])).toEqual(minors.slice(1).map(() => 1));
    expect(OLDER_SERVERS.every((p) => /^sha512-[A-Za-z0-9+/]{86}==$/.test(p.integrity))).toBe(true);
  });
});
