import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readTree } from './support/tree';
import { FIXTURE_VALUES } from './support/values-dir';

const ROOT = resolve(__dirname, '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * A throw-away TypeScript project: local modules, a folder module, a dependency with a lock file, and a data
 * file read via __dirname. It is run once to fill its cache; reset() puts that state back for the next test.
 */
class ScratchProject {
  readonly path = mkdtempSync(join(tmpdir(), 'bundle-cache-test-'));
  readonly cacheDir = join(this.path, 'node_modules/.cache/bundle-cache');
  private readonly pristine = mkdtempSync(join(tmpdir(), 'bundle-cache-pristine-'));

  constructor() {
    this.write('package.json', '{ "name": "scratch", "private": true, "dependencies": { "dep": "1.0.0" } }\n');
    this.write('package-lock.json', '{ "lockfileVersion": 3, "packages": { "node_modules/dep": { "version": "1.0.0" } } }\n');
    this.write(
      'entry.ts',
      [
        "import { appendFileSync } from 'node:fs';",
        "import dep from 'dep';",
        "import { here } from './lib/here';",
        "import { message } from './lib/message';",
        "import { shade } from './lib/shade';",
        "appendFileSync('runs.log', 'run\\n');",
        "if (process.env.SCRATCH_THROW) throw new Error('boom from entry');",
        'process.stdout.write(JSON.stringify({ message, shade, dep: dep(), here: here(), argv1: process.argv[1], args: process.argv.slice(2) }));',
        'process.exitCode = Number(process.env.SCRATCH_EXIT ?? 0);',
        '',
      ].join('\n'),
    );
    this.write('lib/message.ts', "export const message: string = 'one';\n");
    this.write('lib/shade/index.ts', "export const shade = 'folder';\n");
    this.write(
      'lib/here.ts',
      "import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\nexport const here = () => readFileSync(join(__dirname, 'here.txt'), 'utf8');\n",
    );
    this.write('lib/here.txt', 'next to here.ts');
    this.write('node_modules/dep/package.json', '{ "name": "dep", "version": "1.0.0", "main": "a.js" }\n');
    this.write('node_modules/dep/a.js', "module.exports = () => 'a';\n");
    this.write('node_modules/dep/b.js', "module.exports = () => 'b';\n");
    if (this.run().status !== 0) throw new Error('the scratch project does not run');
    rmSync(join(this.path, 'runs.log'));
    cpSync(this.path, this.pristine, { recursive: true });
  }

  /** Back to the state after the first run: the original files and a filled cache. */
  reset(): void {
    rmSync(this.path, { recursive: true, force: true });
    cpSync(this.pristine, this.path, { recursive: true });
  }

  write(file: string, text: string): void {
    mkdirSync(dirname(join(this.path, file)), { recursive: true });
    writeFileSync(join(this.path, file), text);
  }

  /** Runs entry.ts (or another entry point of the project) through the runner. */
  run(args: string[] = [], env: Record<string, string> = {}, entry = 'entry.ts') {
    const result = spawnSync(process.execPath, [RUN, entry, ...args], {
      cwd: this.path,
      encoding: 'utf8',
      env: { ...process.env, BUNDLE_CACHE: '', BUNDLE_CACHE_DIR: '', BUNDLE_CACHE_VERBOSE: '1', ...env },
    });
    const notes = result.stderr.split('\n').filter((line) => line.startsWith('bundle-cache: '));
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      notes,
      output: result.status === 0 ? JSON.parse(result.stdout) : undefined,
    };
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
    rmSync(this.pristine, { recursive: true, force: true });
  }
}

describe('the bundle runner runs a TypeScript entry point as tsx does', () => {
  let project: ScratchProject;
  beforeAll(() => {
    project = new ScratchProject();
  });
  beforeEach(() => project.reset());
  afterAll(() => project.remove());

  test('gives the output, arguments and exit code tsx gives, building the vendor bundle once', () => {
    // GIVEN an empty cache, and the project run once by tsx directly
    rmSync(project.cacheDir, { recursive: true });
    const byTsx = spawnSync(TSX, ['entry.ts', '--flag', 'x y'], {
      cwd: project.path,
      encoding: 'utf8',
      env: { ...process.env, SCRATCH_EXIT: '3' },
    });
    // WHEN it runs twice through the runner
    const first = project.run(['--flag', 'x y'], { SCRATCH_EXIT: '3' });
    const second = project.run(['--flag', 'x y'], { SCRATCH_EXIT: '3' });
    // THEN both runs print what tsx printed and exit as it did; the first builds both bundles and writes the vendor
    // bundle's code cache, the second builds nothing and uses that cache
    expect(byTsx.status).toBe(3);
    expect(JSON.parse(byTsx.stdout)).toEqual({
      message: 'one',
      shade: 'folder',
      dep: 'a',
      here: 'next to here.ts',
      argv1: join(project.path, 'entry.ts'),
      args: ['--flag', 'x y'],
    });
    for (const run of [first, second]) {
      expect(run.stdout).toBe(byTsx.stdout);
      expect(run.status).toBe(3);
    }
    expect(first.notes).toEqual([
      'bundle-cache: building the app bundle',
      'bundle-cache: building the vendor bundle (dep)',
      'bundle-cache: vendor code cache not usable; writing one at exit',
    ]);
    expect(second.notes).toEqual(['bundle-cache: vendor code cache used']);
    expect(
      readdirSync(project.cacheDir)
        .map((name) => name.replace(/[0-9a-f]{24}/, 'HASH'))
        .sort(),
    ).toEqual([
      'app-entry-HASH.js',
      'app-entry-HASH.js.map',
      'app-entry.json',
      'app-entry.vendor.js',
      'app-entry.vendor.js.key',
      'app-entry.vendor.js.v8cache',
    ]);
  });

  test('a program that throws runs once, fails with its error, and its stack trace names the TypeScript source', () => {
    // GIVEN an entry point that throws at line 7 of entry.ts
    // WHEN it runs
    const run = project.run([], { SCRATCH_THROW: '1' });
    // THEN it fails as an uncaught exception (exit 1), pointing at entry.ts:7, and ran exactly once
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Error: boom from entry');
    expect(run.stderr).toContain(`at Object.<anonymous> (${join(project.path, 'entry.ts')}:7:`);
    expect(readFileSync(join(project.path, 'runs.log'), 'utf8')).toBe('run\n');
  });

  test('an edited source runs at once, and only the app bundle is built again', () => {
    // GIVEN a filled cache
    // WHEN a source changes
    project.write('lib/message.ts', "export const message: string = 'two';\n");
    const run = project.run();
    // THEN the new text runs, with the vendor bundle reused
    expect(run.output.message).toBe('two');
    expect(run.notes).toEqual(['bundle-cache: building the app bundle', 'bundle-cache: vendor code cache used']);
    expect(readdirSync(project.cacheDir).filter((name) => /^app-entry-[0-9a-f]{24}\.js$/.test(name))).toHaveLength(2);
  });

  test('a source edited back to its earlier text, or only touched, is not bundled again', () => {
    // GIVEN a filled cache
    // WHEN a source is rewritten with the same text, then changed and changed back
    project.write('lib/message.ts', "export const message: string = 'one';\n");
    const touched = project.run();
    project.write('lib/message.ts', "export const message: string = 'three';\n");
    const changed = project.run();
    project.write('lib/message.ts', "export const message: string = 'one';\n");
    const back = project.run();
    // THEN only the change builds the app bundle; each run prints what its sources say
    expect(touched.notes).toEqual(['bundle-cache: vendor code cache used']);
    expect(changed.notes).toEqual(['bundle-cache: building the app bundle', 'bundle-cache: vendor code cache used']);
    expect(back.notes[0]).toBe('bundle-cache: building the app bundle');
    expect([touched, changed, back].map((run) => run.output.message)).toEqual(['one', 'three', 'one']);
  });

  test('a new file that an import now resolves to is picked up without any imported file changing', () => {
    // GIVEN a filled cache in which './lib/shade' is the folder lib/shade/
    // WHEN lib/shade.ts appears, which wins over the folder
    project.write('lib/shade.ts', "export const shade = 'file';\n");
    // THEN the import resolves to it
    expect(project.run().output.shade).toBe('file');
  });

  test('a dependency whose package.json or lock entry changed is bundled again', () => {
    // GIVEN a filled cache using dep's a.js
    // WHEN dep's package.json points at b.js (a hand edit: the lock file is unchanged)
    project.write('node_modules/dep/package.json', '{ "name": "dep", "version": "1.0.0", "main": "b.js" }\n');
    const repointed = project.run();
    // AND THEN an install changes a.js and the lock file
    project.write('node_modules/dep/package.json', '{ "name": "dep", "version": "1.0.0", "main": "a.js" }\n');
    project.write('node_modules/dep/a.js', "module.exports = () => 'a2';\n");
    project.write('package-lock.json', '{ "lockfileVersion": 3, "packages": { "node_modules/dep": { "version": "1.0.1" } } }\n');
    const installed = project.run();
    // THEN each run uses the dependency as it is now
    expect(repointed.notes[0]).toBe('bundle-cache: building the vendor bundle (dep)');
    expect(repointed.output.dep).toBe('b');
    expect(installed.notes[0]).toBe('bundle-cache: building the vendor bundle (dep)');
    expect(installed.output.dep).toBe('a2');
  });

  test('a package newly imported by a source is added to the vendor bundle', () => {
    // GIVEN a filled cache whose vendor bundle holds only dep
    // WHEN a source starts to import another package
    project.write('node_modules/other/package.json', '{ "name": "other", "version": "1.0.0", "main": "index.js" }\n');
    project.write('node_modules/other/index.js', "module.exports = 'other';\n");
    project.write('lib/message.ts', "import other from 'other';\nexport const message: string = other;\n");
    const run = project.run();
    // THEN the vendor bundle is built again with both packages, and the run uses it
    expect(run.notes).toContain('bundle-cache: building the vendor bundle (dep, other)');
    expect(run.output.message).toBe('other');
  });

  test('two entries that import different packages keep a vendor bundle each: running them in turn builds nothing', () => {
    // GIVEN a second entry point that imports another package, run once
    project.write('node_modules/other/package.json', '{ "name": "other", "version": "1.0.0", "main": "index.js" }\n');
    project.write('node_modules/other/index.js', "module.exports = 'other';\n");
    project.write('second.ts', "import other from 'other';\nprocess.stdout.write(JSON.stringify({ other }));\n");
    const second = () => project.run([], {}, 'second.ts');
    expect(second().notes).toContain('bundle-cache: building the vendor bundle (other)');
    project.run(); // bundles entry.ts again: second.ts is a new module file beside it
    // WHEN the first entry, then the second run again
    const first = project.run();
    const again = second();
    // THEN neither builds a bundle, and each prints its own output
    expect(first.notes).toEqual(['bundle-cache: vendor code cache used']);
    expect(again.notes).toEqual(['bundle-cache: vendor code cache used']);
    expect(again.output).toEqual({ other: 'other' });
  });

  test('each module keeps the __dirname of its own source, and files read at run time are read afresh', () => {
    // GIVEN lib/here.ts, which reads here.txt next to itself
    // WHEN the data file (not a source) changes
    project.write('lib/here.txt', 'changed at run time');
    // THEN the run reads the new content from the source's folder, without bundling again (no module changed)
    const run = project.run();
    expect(run.output.here).toBe('changed at run time');
    expect(run.notes).toEqual(['bundle-cache: vendor code cache used']);
  });

  test('a source that does not compile fails with the file and line, and runs nothing', () => {
    // GIVEN a source with a syntax error
    project.write('lib/message.ts', "export const message: string = 'unterminated;\n");
    // WHEN it runs
    const run = project.run();
    // THEN esbuild's error names the file and line, exit 1, and the program did not run
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('entry.ts: cannot build:');
    expect(run.stderr).toContain('lib/message.ts:1:');
    expect(run.stderr).toContain('Unterminated string literal');
    expect(() => readFileSync(join(project.path, 'runs.log'))).toThrow();
  });

  test('an unwritable cache folder still runs the current code, with tsx', () => {
    // GIVEN a cache folder that cannot be created, below a regular file, and an edited source
    project.write('not-a-folder', '');
    project.write('lib/message.ts', "export const message: string = 'current';\n");
    // WHEN the entry runs
    const run = project.run([], { BUNDLE_CACHE_DIR: join(project.path, 'not-a-folder', 'cache') });
    // THEN it says why and prints the current output
    expect(run.notes[0]).toMatch(/^bundle-cache: cache not writable \(ENOTDIR: .*\): running with tsx$/);
    expect(run.output.message).toBe('current');
  });
});

describe('npm run synth through the bundle runner', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'bundle-cache-synth-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('writes byte-identical files and the same messages as tsx main.ts', () => {
    // GIVEN an empty cache
    const env = {
      ...process.env,
      CDK8S_CHECK_UPGRADE: 'false',
      BUNDLE_CACHE: '',
      BUNDLE_CACHE_DIR: join(scratch, 'cache'),
      BUNDLE_CACHE_VERBOSE: '',
    };
    // WHEN every target of the tests' values is synthesized by tsx, by the runner with an empty cache, and by the runner again
    const outdirs = ['tsx', 'built', 'reused'].map((name) => join(scratch, name));
    const runs = [
      spawnSync(TSX, ['main.ts', '--values-dir', FIXTURE_VALUES, '--outdir', outdirs[0]], { cwd: ROOT, encoding: 'utf8', env }),
      spawnSync(process.execPath, [RUN, 'main.ts', '--values-dir', FIXTURE_VALUES, '--outdir', outdirs[1]], {
        cwd: ROOT,
        encoding: 'utf8',
        env,
      }),
      spawnSync(process.execPath, [RUN, 'main.ts', '--values-dir', FIXTURE_VALUES, '--outdir', outdirs[2]], {
        cwd: ROOT,
        encoding: 'utf8',
        env,
      }),
    ];
    // THEN the three outputs and their messages are identical
    expect(readdirSync(join(scratch, 'cache'))).toContain('app-main.vendor.js.v8cache');
    const reference = readTree(outdirs[0]);
    expect(Object.keys(reference).length).toBeGreaterThan(0);
    runs.forEach((run, i) => {
      expect(run.stderr).toBe(runs[0].stderr);
      expect(run.status).toBe(0);
      expect(run.stdout.split(outdirs[i]).join('OUT')).toBe(runs[0].stdout.split(outdirs[0]).join('OUT'));
      expect(readTree(outdirs[i])).toEqual(reference);
    });
  });
});
