import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readTree } from './support/tree';

const ROOT = resolve(__dirname, '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * A throw-away TypeScript project: local modules, a folder module, a dependency, and a data file read via
 * __dirname. It is built once; reset() puts it back, cache included, at the same path for the next test.
 */
class ScratchProject {
  readonly path = mkdtempSync(join(tmpdir(), 'bundle-cache-test-'));
  readonly cacheDir = join(this.path, 'node_modules/.cache/bundle-cache/entry.ts');
  private readonly pristine = mkdtempSync(join(tmpdir(), 'bundle-cache-pristine-'));

  constructor() {
    this.write('package.json', '{ "name": "scratch", "private": true }\n');
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
        'const isMain = require.main === module;',
        'process.stdout.write(JSON.stringify({ message, shade, dep: dep(), here: here(), isMain, argv1: process.argv[1], args: process.argv.slice(2) }));',
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
    this.write('node_modules/dep/package.json', '{ "name": "dep", "main": "a.js" }\n');
    this.write('node_modules/dep/a.js', "module.exports = () => 'a';\n");
    this.write('node_modules/dep/b.js', "module.exports = () => 'b';\n");
    if (this.run().status !== 0) throw new Error('the scratch project does not run');
    rmSync(join(this.path, 'runs.log'));
    cpSync(this.path, this.pristine, { recursive: true });
  }

  /** Back to the state after the first run: the original files and a current cache. */
  reset(): void {
    rmSync(this.path, { recursive: true, force: true });
    cpSync(this.pristine, this.path, { recursive: true });
  }

  write(file: string, text: string): void {
    mkdirSync(dirname(join(this.path, file)), { recursive: true });
    writeFileSync(join(this.path, file), text);
  }

  /** Runs entry.ts through the bundle cache. */
  run(args: string[] = [], env: Record<string, string> = {}) {
    const result = spawnSync(process.execPath, [RUN, 'entry.ts', ...args], {
      cwd: this.path,
      encoding: 'utf8',
      env: { ...process.env, BUNDLE_CACHE: '', BUNDLE_CACHE_DIR: '', BUNDLE_CACHE_VERBOSE: '1', ...env },
    });
    const notes = result.stderr.split('\n').filter((line) => line.startsWith('bundle-cache: '));
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, notes, output: result.status === 0 ? JSON.parse(result.stdout) : undefined };
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
    rmSync(this.pristine, { recursive: true, force: true });
  }
}

describe('the bundle cache runs a TypeScript entry point as tsx does', () => {
  // Each test starts from the project as built once, its bundles cached.
  let project: ScratchProject;
  beforeAll(() => {
    project = new ScratchProject();
  });
  beforeEach(() => project.reset());
  afterAll(() => project.remove());

  test('gives the same output, arguments and exit code as tsx, and reuses its bundle while nothing changed', () => {
    // GIVEN an empty cache, and the project run once by tsx directly
    rmSync(project.cacheDir, { recursive: true });
    const byTsx = spawnSync(TSX, ['entry.ts', '--flag', 'x y'], { cwd: project.path, encoding: 'utf8', env: { ...process.env, SCRATCH_EXIT: '3' } });
    // WHEN it runs twice through the bundle cache
    const first = project.run(['--flag', 'x y'], { SCRATCH_EXIT: '3' });
    const second = project.run(['--flag', 'x y'], { SCRATCH_EXIT: '3' });
    // THEN both runs print what tsx printed and exit as it did; the first builds the bundle, the second reuses it
    expect(byTsx.status).toBe(3);
    expect(JSON.parse(byTsx.stdout)).toEqual({
      message: 'one',
      shade: 'folder',
      dep: 'a',
      here: 'next to here.ts',
      isMain: true,
      argv1: join(project.path, 'entry.ts'),
      args: ['--flag', 'x y'],
    });
    for (const run of [first, second]) {
      expect(run.stdout).toBe(byTsx.stdout);
      expect(run.status).toBe(3);
    }
    expect(first.notes.slice(0, 2)).toEqual(['bundle-cache: rebuilding: no cache yet', 'bundle-cache: built app and vendor in node_modules/.cache/bundle-cache/entry.ts']);
    expect(second.notes[0]).toMatch(/^bundle-cache: reused node_modules\/\.cache\/bundle-cache\/entry\.ts\/bundle-[0-9a-f]{20}\.js and bundle-[0-9a-f]{20}\.js$/);
    expect(second.notes.filter((note) => note.endsWith(': code cache used'))).toHaveLength(2);
    expect(readdirSync(project.cacheDir).filter((name) => name.startsWith('bundle-')).map((name) => name.replace(/[0-9a-f]{20}/, 'HASH')).sort()).toEqual([
      'bundle-HASH.js',
      'bundle-HASH.js',
      'bundle-HASH.v8cache',
      'bundle-HASH.v8cache',
    ]);
  });

  test('a program that throws runs once and fails with its error, whether its bundle is fresh or reused', () => {
    // GIVEN an entry point that throws, and an empty cache
    rmSync(project.cacheDir, { recursive: true });
    // WHEN it runs twice through the bundle cache
    const runs = [project.run([], { SCRATCH_THROW: '1' }), project.run([], { SCRATCH_THROW: '1' })];
    // THEN each run fails with the error as an uncaught exception (exit 1), and the program ran exactly once per
    // run (it appends a line each time): a failing program is never run again by the tsx fallback
    expect(runs.map((run) => run.notes.find((note) => /^bundle-cache: (built|reused)/.test(note))?.split(' ')[1])).toEqual(['built', 'reused']);
    for (const run of runs) {
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Error: boom from entry');
    }
    expect(readFileSync(join(project.path, 'runs.log'), 'utf8')).toBe('run\nrun\n');
  });

  test('an edited source is rebuilt even when its size and modification time are unchanged', () => {
    // GIVEN a cached bundle
    const file = join(project.path, 'lib/message.ts');
    const { atime, mtime } = statSync(file);
    // WHEN the source changes to text of the same length and its timestamps are put back
    project.write('lib/message.ts', "export const message: string = 'two';\n");
    utimesSync(file, atime, mtime);
    const run = project.run();
    // THEN the new text runs, and only the app bundle was rebuilt
    expect(run.notes[0]).toBe(`bundle-cache: rebuilding: changed: ${file}`);
    expect(run.notes[1]).toBe('bundle-cache: built app in node_modules/.cache/bundle-cache/entry.ts');
    expect(run.output.message).toBe('two');
  });

  test('a new file that an import now resolves to is picked up without any imported file changing', () => {
    // GIVEN a cached bundle in which './lib/shade' is the folder lib/shade/
    expect(project.run().output.shade).toBe('folder');
    // WHEN lib/shade.ts appears, which wins over the folder
    project.write('lib/shade.ts', "export const shade = 'file';\n");
    const run = project.run();
    // THEN the import resolves to it
    expect(run.notes[0]).toBe(`bundle-cache: rebuilding: files added or removed in ${join(project.path, 'lib')}`);
    expect(run.output.shade).toBe('file');
  });

  test("a changed dependency is picked up, both its code and its package.json's entry point", () => {
    // GIVEN a cached bundle using dep's a.js
    expect(project.run().output.dep).toBe('a');
    // WHEN a.js changes
    project.write('node_modules/dep/a.js', "module.exports = () => 'a2';\n");
    const edited = project.run();
    // AND THEN package.json points at b.js
    project.write('node_modules/dep/package.json', '{ "name": "dep", "main": "b.js" }\n');
    const repointed = project.run();
    // THEN each run uses the dependency as it is now, rebuilding only the vendor bundle
    expect(edited.notes[1]).toBe('bundle-cache: built vendor in node_modules/.cache/bundle-cache/entry.ts');
    expect(edited.output.dep).toBe('a2');
    expect(repointed.output.dep).toBe('b');
    expect(repointed.notes[0]).toBe(`bundle-cache: rebuilding: changed: ${join(project.path, 'node_modules/dep/package.json')}`);
  });

  test('each module keeps the __dirname of its own source, and files read at run time are read afresh', () => {
    // GIVEN a cached bundle whose lib/here.ts reads here.txt next to itself
    expect(project.run().output.here).toBe('next to here.ts');
    // WHEN the data file (not a source) changes
    project.write('lib/here.txt', 'changed at run time');
    const run = project.run();
    // THEN the cached bundle is reused and reads the new content
    expect(run.notes[0]).toMatch(/^bundle-cache: reused /);
    expect(run.output.here).toBe('changed at run time');
  });

  test('a source that does not compile runs through tsx, which reports the error; the fixed source then runs', () => {
    // GIVEN a cached bundle
    // WHEN a source gets a syntax error
    project.write('lib/message.ts', "export const message: string = 'unterminated;\n");
    const broken = project.run();
    project.write('lib/message.ts', "export const message: string = 'fixed';\n");
    const fixed = project.run();
    // THEN the broken run fails as tsx fails, naming the file; the old bundle is not run; the fix runs
    expect(broken.notes[1]).toMatch(/^bundle-cache: bundling failed .*: running with tsx$/);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain('lib/message.ts');
    expect(broken.stderr).toContain('Unterminated string literal');
    expect(fixed.output.message).toBe('fixed');
  });

  test('a package that would resolve from a nested node_modules runs through tsx, which resolves it there', () => {
    // GIVEN lib/message.ts importing 'dep', and a copy of 'dep' in lib/node_modules that Node would pick for it
    project.write('lib/message.ts', "import dep from 'dep';\nexport const message: string = dep();\n");
    project.write('lib/node_modules/dep/package.json', '{ "name": "dep", "main": "index.js" }\n');
    project.write('lib/node_modules/dep/index.js', "module.exports = () => 'nested';\n");
    // WHEN it runs
    const run = project.run();
    // THEN the bundle refuses (packages come from the root only), and tsx gives Node's answer
    expect(run.notes[1]).toBe(
      `bundle-cache: bundling failed (${join(project.path, 'lib/node_modules')}: packages are resolved from the project root only): running with tsx`,
    );
    expect(run.output.message).toBe('nested');
    expect(run.output.dep).toBe('a');
  });

  test('an unwritable cache folder still runs the current code', () => {
    // GIVEN a cache folder that cannot be created, below a regular file
    project.write('not-a-folder', '');
    // WHEN the entry runs twice
    const runs = [1, 2].map(() => project.run([], { BUNDLE_CACHE_DIR: join(project.path, 'not-a-folder', 'cache') }));
    // THEN both build a fresh bundle, say it is not stored, and print the current output
    for (const run of runs) {
      expect(run.notes[1]).toMatch(/^bundle-cache: built, not stored: app and vendor in .* \(cache not writable: /);
      expect(run.output.message).toBe('one');
    }
  });
});

describe('npm run synth through the bundle cache', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'bundle-cache-synth-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('writes byte-identical files and the same messages as tsx main.ts', () => {
    // GIVEN an empty bundle cache
    const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', BUNDLE_CACHE: '', BUNDLE_CACHE_DIR: join(scratch, 'cache'), BUNDLE_CACHE_VERBOSE: '' };
    // WHEN every target is synthesized by tsx, by a fresh bundle, and by the cached bundle
    const outdirs = ['tsx', 'built', 'reused'].map((name) => join(scratch, name));
    const runs = [
      spawnSync(TSX, ['main.ts', '--outdir', outdirs[0]], { cwd: ROOT, encoding: 'utf8', env }),
      spawnSync(process.execPath, [RUN, 'main.ts', '--outdir', outdirs[1]], { cwd: ROOT, encoding: 'utf8', env }),
      spawnSync(process.execPath, [RUN, 'main.ts', '--outdir', outdirs[2]], { cwd: ROOT, encoding: 'utf8', env }),
    ];
    // THEN the three outputs and their messages are identical
    expect(readdirSync(join(scratch, 'cache'))).toContain('manifest.json');
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
