import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { crds as restate174 } from '../imports/crds/restate.dev-v1.7.4';
import { unshareArgs } from '../lib/verify/linux-namespaces';
import { CRD_PINS, type CrdFilePin } from '../scripts/crd-pins';
import { CrdSourceError, checkGeneratedFrom, crdsOf, readPinnedFile, sha256 } from '../scripts/crd-source';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = join(ROOT, 'scripts', 'import-crds.ts');
const SERVE_FOLDER = join(ROOT, 'test', 'support', 'serve-folder.ts');
/** The upstream originals beside this checkout (this machine only: a fresh clone has no ../shared). */
const SHARED_CRDS = resolve(ROOT, '..', 'shared', 'crds');
const FIRST_PIN = CRD_PINS[0]!.files[0]!;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run import -- ARGS`, asynchronously; `prefix` wraps it (a network namespace, a folder served meanwhile). */
function runImport(args: string[], prefix: string[] = []): Promise<Run> {
  const [program, ...rest] = [...prefix, TSX, SCRIPT, ...args];
  return new Promise((done) => {
    const child = spawn(program!, rest, { cwd: ROOT, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `npm run import -- ARGS` in a network namespace of its own, with `folder` served on 127.0.0.1:{port} meanwhile. */
function runImportServing(folder: string, args: string[]): Promise<Run> {
  return runImport(args, [...unshareArgs(), TSX, SERVE_FOLDER, folder, '--']);
}

/** Every file under `dir`, as sorted paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** Expects `out` to hold exactly the files committed under imports/, byte for byte. */
function expectSameAsCommitted(out: string): void {
  const committed = spawnSync('git', ['ls-files', 'imports'], { cwd: ROOT, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map((file) => file.slice('imports/'.length))
    .sort();
  expect(filesUnder(out)).toEqual(committed);
  const differing = committed.filter((file) => readFileSync(join(out, file), 'utf8') !== readFileSync(join(ROOT, 'imports', file), 'utf8'));
  expect(differing).toEqual([]);
}

/** The RestateCluster CRD of 1.7.4 written as YAML: the same objects as upstream's file, other bytes. */
const reserialized = stringify(restate174[0]);

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'restate-stack-import-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run import', () => {
  test('--from generated regenerates every file of imports/ byte for byte from the CRDs in imports/crds/ (into --out)', async () => {
    // GIVEN an output folder
    const out = join(scratch, 'generated');
    // WHEN importing from what imports/crds/ holds (no upstream file: what a fresh clone can do)
    const run = await runImport(['--from', 'generated', '--out', out]);
    // THEN the CRD modules and the typed classes are the committed ones, and nothing else is written
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('import: reading the CRDs from generated\n');
    expectSameAsCommitted(out);
  }, 300_000);

  (existsSync(SHARED_CRDS) ? test : test.skip)(
    'by default reads ../shared/crds beside the checkout, checks every pinned sha256 and regenerates imports/ byte for byte',
    async () => {
      // GIVEN the upstream originals in ../shared/crds (this machine; a fresh clone skips this test)
      const out = join(scratch, 'shared');
      // WHEN importing with the default source
      const run = await runImport(['--out', out]);
      // THEN every file passed its check, and the output is what is committed
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`import: reading the CRDs from ${SHARED_CRDS}\n`);
      expectSameAsCommitted(out);
    },
    300_000,
  );

  test('a file whose sha256 is not the pinned one is refused, naming the file and both hashes; nothing is written', async () => {
    // GIVEN a folder whose RestateCluster CRD of 1.7.4 holds the same objects as upstream's, in other bytes
    const folder = join(scratch, 'changed');
    mkdirSync(folder);
    writeFileSync(join(folder, FIRST_PIN.file), reserialized);
    const out = join(scratch, 'changed-out');
    // WHEN importing from it
    const run = await runImport(['--from', folder, '--out', out]);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `import: ${join(folder, FIRST_PIN.file)} has sha256 ${sha256(reserialized)}, not the ${FIRST_PIN.sha256} that ` +
        'scripts/crd-pins.ts records for it: refused (changed, or another release)\n',
    );
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test('a mirror serving a changed file is refused the same way, naming the URL', async () => {
    // GIVEN the changed file served over HTTP on loopback, in a network namespace of the test's own
    const folder = join(scratch, 'mirror');
    mkdirSync(folder);
    writeFileSync(join(folder, FIRST_PIN.file), reserialized);
    // WHEN importing from the mirror
    const run = await runImportServing(folder, ['--from', 'http://127.0.0.1:{port}/', '--out', join(scratch, 'mirror-out')]);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^import: http://127\\.0\\.0\\.1:\\d+/${FIRST_PIN.file.replaceAll('.', '\\.')} has sha256 ${sha256(reserialized)}, ` +
          `not the ${FIRST_PIN.sha256} that scripts/crd-pins\\.ts records for it`,
      ),
    );
    expect(existsSync(join(scratch, 'mirror-out'))).toBe(false);
  }, 60_000);

  test('without network, --from upstream fails in one line naming the URL, the cause and the offline way; nothing is written', async () => {
    // GIVEN a network namespace with no interface up (no DNS, no route) and an output folder
    const out = join(scratch, 'offline');
    // WHEN importing from the pinned upstream URLs
    const run = await runImport(['--from', 'upstream', '--out', out], unshareArgs());
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^import: could not download https:\/\/raw\.githubusercontent\.com\/restatedev\/restate-operator\/v1\.7\.4\/crd\/restateclusters\.yaml: getaddrinfo \w+ raw\.githubusercontent\.com\. /,
    );
    expect(run.stderr).toMatch(
      /Without network access, read a folder of the files instead: npm run import -- --from DIR \(see docs\/development\.md\)\n$/,
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test('a mirror answering 404, a refused connection and a folder without the file each name their cause', async () => {
    // GIVEN an empty folder served on loopback, a closed loopback port (8: fetch refuses well-known ports such as 1),
    // and a folder that does not exist
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const missing = join(scratch, 'nope');
    // WHEN importing from each
    const [http, refused, absent] = await Promise.all([
      runImportServing(empty, ['--from', 'http://127.0.0.1:{port}/crds', '--out', join(scratch, 'a')]),
      runImportServing(empty, ['--from', 'http://127.0.0.1:8/', '--out', join(scratch, 'b')]),
      runImport(['--from', missing, '--out', join(scratch, 'c')]),
    ]);
    // THEN each exits 1 with one line that says why
    expect([http.code, refused.code, absent.code]).toEqual([1, 1, 1]);
    expect(http.stderr).toMatch(
      new RegExp(
        `^import: could not download http://127\\.0\\.0\\.1:\\d+/crds/${FIRST_PIN.file}: HTTP 404 Not Found \\(is the tag or the path right\\?\\)\\. `,
      ),
    );
    expect(refused.stderr).toMatch(/^import: could not download http:\/\/127\.0\.0\.1:8\/\S+: connect ECONNREFUSED 127\.0\.0\.1:8\. /);
    expect(absent.stderr).toBe(`import: could not read ${join(missing, FIRST_PIN.file)}: no such file\n`);
    expect(['a', 'b', 'c'].filter((name) => existsSync(join(scratch, name)))).toEqual([]);
  }, 60_000);

  test('an unknown argument or a missing value is refused with the usage', async () => {
    // WHEN
    const [unknown, bare] = await Promise.all([runImport(['--version', '1.7.4']), runImport(['--out', join(scratch, 'x'), '--from'])]);
    // THEN
    const usage = 'usage: npm run import [-- --from upstream|DIR|URL|generated] [--out DIR]';
    expect(unknown).toMatchObject({ code: 1, stderr: `import: unknown argument --version; ${usage}\n` });
    expect(bare).toMatchObject({ code: 1, stderr: `import: --from needs a value; ${usage}\n` });
  }, 60_000);
});

describe('the checks on what the import reads', () => {
  /** A pin for a file of the test's own, with the sha256 of `text`. */
  function pinOf(text: string): CrdFilePin {
    return { file: 'x/crd.yaml', upstream: ['https://example.invalid/crd.yaml'], sha256: sha256(text), kinds: ['RestateCluster'] };
  }

  test('a file with the pinned sha256 is read; the same pin refuses one changed byte', async () => {
    // GIVEN a folder holding a file and a pin of its sha256
    const folder = join(scratch, 'pinned');
    mkdirSync(join(folder, 'x'), { recursive: true });
    writeFileSync(join(folder, 'x', 'crd.yaml'), reserialized);
    const pin = pinOf(reserialized);
    // WHEN / THEN it is read as it is
    await expect(readPinnedFile(pin, { kind: 'folder', at: folder })).resolves.toEqual({
      text: reserialized,
      from: join(folder, 'x', 'crd.yaml'),
    });
    // WHEN one byte changes / THEN it is refused
    writeFileSync(join(folder, 'x', 'crd.yaml'), `${reserialized} `);
    await expect(readPinnedFile(pin, { kind: 'folder', at: folder })).rejects.toThrow(
      new CrdSourceError(
        `${join(folder, 'x', 'crd.yaml')} has sha256 ${sha256(`${reserialized} `)}, not the ${pin.sha256} that scripts/crd-pins.ts ` +
          'records for it: refused (changed, or another release)',
      ),
    );
  });

  test('a file holding other objects, or a CRD the API server would refuse, is refused naming what is wrong', () => {
    // GIVEN a Deployment, and the RestateCluster CRD with its group, its name or its storage versions broken
    const crd = restate174[0]!;
    const broken = (change: (copy: any) => void) => {
      const copy = structuredClone(crd) as any;
      change(copy);
      return stringify(copy);
    };
    const cases: Array<[string, string]> = [
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n',
        'f.yaml holds Deployment, not CRD RestateCluster (apiextensions.k8s.io/v1)',
      ],
      [broken((c) => (c.spec.group = 'example.com')), 'f.yaml: the CRD of RestateCluster: its group is example.com, not restate.dev'],
      [
        broken((c) => (c.metadata.name = 'clusters.restate.dev')),
        'f.yaml: the CRD of RestateCluster: it is named clusters.restate.dev, not restateclusters.restate.dev',
      ],
      [
        broken((c) => c.spec.versions.push({ ...c.spec.versions[0], name: 'v2' })),
        'f.yaml: the CRD of RestateCluster: it has not exactly one storage version',
      ],
    ];
    // WHEN / THEN
    for (const [text, message] of cases)
      expect(() => crdsOf('f.yaml', text, 'restate.dev', ['RestateCluster'])).toThrow(new CrdSourceError(message));
    // and the unbroken CRD passes the same checks
    expect(crdsOf('f.yaml', stringify(crd), 'restate.dev', ['RestateCluster'])).toEqual([crd]);
  });

  test('--from generated refuses a module whose header does not name the pinned URL and sha256 (a pin changed since)', () => {
    // GIVEN the committed module of 1.7.4 and its pins, then the same pins with another sha256 for one file
    const pin = CRD_PINS[0]!;
    const from = `imports/crds/${pin.module}.ts`;
    const text = readFileSync(join(ROOT, from), 'utf8');
    const changed = { ...pin, files: [{ ...FIRST_PIN, sha256: '0'.repeat(64) }, ...pin.files.slice(1)] };
    // WHEN / THEN the committed module agrees with the committed pins, and not with the changed ones
    expect(() => checkGeneratedFrom(from, text, pin)).not.toThrow();
    expect(() => checkGeneratedFrom(from, text, changed)).toThrow(
      new CrdSourceError(
        `${from} was not generated from ${FIRST_PIN.upstream[0]} with sha256 ${'0'.repeat(64)}, as scripts/crd-pins.ts pins it: ` +
          'import from upstream or a folder (--from), not from generated',
      ),
    );
  });
});
