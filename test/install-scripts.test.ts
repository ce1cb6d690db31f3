import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
  scarfSettings?: unknown;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

/** `node_modules/a/node_modules/@b/c` → `@b/c`. */
function packageName(lockPath: string): string {
  return lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

describe('installing runs only the install scripts the project decided on', () => {
  test('every locked package with an install script has an allowScripts decision in package.json', () => {
    // GIVEN the packages package-lock.json marks as having install scripts
    const withScripts = [
      ...new Set(
        Object.entries(lock.packages)
          .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
          .map(([path]) => packageName(path)),
      ),
    ].sort();
    // WHEN they are looked up in package.json's allowScripts (npm 11.16+: advisory; npm 12: enforced)
    const undecided = withScripts.filter((name) => typeof pkg.allowScripts?.[name] !== 'boolean');
    const stale = Object.keys(pkg.allowScripts ?? {}).filter((name) => !withScripts.includes(name));
    // THEN each one is decided (true: needed, false: not run) and no decision names a package that is gone
    expect(withScripts.length).toBeGreaterThan(0);
    expect({ undecided, stale }).toEqual({ undecided: [], stale: [] });
    // and the telemetry one is denied
    expect(pkg.allowScripts?.['@scarf/scarf']).toBe(false);
  });

  test('the @scarf/scarf install hook of the Restate packages finds telemetry switched off by package.json', () => {
    // GIVEN the project's package.json (scarfSettings: enabled false, and skipTraversal, so that the hook does not
    // even run `npm ls` and `git rev-parse` first) and none of scarf's environment switches
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(SCARF_|DO_NOT_TRACK$)/.test(key)));
    // WHEN scarf's own postinstall runs as npm runs it (INIT_CWD = the project), with no network at all
    const run = spawnSync('unshare', ['-n', process.execPath, 'report.js'], {
      cwd: join(ROOT, 'node_modules', '@scarf', 'scarf'),
      env: { ...env, INIT_CWD: ROOT, SCARF_VERBOSE: 'true' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    // THEN it stops at the opt-out, before any report
    expect(`${run.stdout}${run.stderr}`).toContain('Error: User has opted out');
    expect(pkg.scarfSettings).toEqual({ enabled: false, skipTraversal: true });
  });
});
