import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { upstreamCrdUrl } from '../scripts/crd-source';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = join(ROOT, 'scripts', 'import-crds.ts');
const COMMITTED_SCHEMA = JSON.parse(readFileSync(join(ROOT, 'imports', 'operator-1.7.4', 'restate.dev.schema.json'), 'utf8'));

/** `npm run import -- ARGS`, asynchronously (a test may serve HTTP meanwhile); `prefix` wraps it (unshare -n). */
function runImport(args: string[], prefix: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

/**
 * The RestateCluster CRD of operator 1.7.4, rebuilt from what imports/ records of it (group, kind, scope, the
 * schema of each version): the tests cannot read ../shared, which a fresh clone does not have.
 */
function crdText(): string {
  const { group, kind, scope, versions } = COMMITTED_SCHEMA;
  return stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `restateclusters.${group}` },
    spec: {
      group,
      names: { kind, plural: 'restateclusters', singular: 'restatecluster', shortNames: ['rsc'] },
      scope,
      versions: Object.entries(versions).map(([name, schema], index) => ({
        name,
        served: true,
        storage: index === 0,
        schema: { openAPIV3Schema: schema },
      })),
    },
  });
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'restate-stack-import-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run import', () => {
  test('by default reads the CRD from the operator repository at the pinned tag', () => {
    // GIVEN / WHEN / THEN the default source is the raw file at tag v1.7.4, as upstream names it
    expect(upstreamCrdUrl('1.7.4')).toBe('https://raw.githubusercontent.com/restatedev/restate-operator/v1.7.4/crd/restateclusters.yaml');
    expect(readFileSync(SCRIPT, 'utf8')).toMatch(/const source = from \?\? upstream;/);
  });

  test('--from a local file regenerates imports/operator-1.7.4/ byte for byte (into --out)', async () => {
    // GIVEN the CRD as a local file
    const file = join(scratch, 'restateclusters.yaml');
    writeFileSync(file, crdText());
    const out = join(scratch, 'imports');
    // WHEN importing from it
    const run = await runImport(['--version', '1.7.4', '--from', file, '--out', out]);
    // THEN the typed constructs equal the committed ones, and the schema file records the same CRD
    expect(run.stderr).not.toContain('import:');
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, 'restate.dev.ts'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'imports', 'operator-1.7.4', 'restate.dev.ts'), 'utf8'),
    );
    const schema = JSON.parse(readFileSync(join(out, 'restate.dev.schema.json'), 'utf8'));
    expect({ ...schema, source: undefined, sha256: undefined }).toEqual({ ...COMMITTED_SCHEMA, source: undefined, sha256: undefined });
  }, 120_000);

  test('without network, the default download fails naming the URL, the cause and the offline way; nothing is written', async () => {
    // GIVEN a network namespace with no interface up (no DNS, no route) and an output folder
    const out = join(scratch, 'offline');
    // WHEN importing with the default source
    const run = await runImport(['--version', '1.7.4', '--out', out], ['unshare', '-n']);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^import: could not download https:\/\/raw\.githubusercontent\.com\/restatedev\/restate-operator\/v1\.7\.4\/crd\/restateclusters\.yaml: getaddrinfo \w+ raw\.githubusercontent\.com/,
    );
    expect(run.stderr).toContain(
      'Without network access, pass a local copy of the file: npm run import -- --from PATH/restateclusters.yaml',
    );
    expect(spawnSync('ls', [out]).status).not.toBe(0);
  }, 60_000);

  test('an HTTP error, a refused connection, a missing file and a file that is not the CRD each name their cause', async () => {
    // GIVEN a loopback server answering 404, a closed loopback port, a missing file and a Deployment manifest
    const server: Server = createServer((_, response) => response.writeHead(404, 'Not Found').end());
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const closed = createServer();
    await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const notCrd = join(scratch, 'deployment.yaml');
    writeFileSync(notCrd, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.7.4/crd/restateclusters.yaml`;
      // WHEN importing from each
      const [http, refused, missing, wrong] = await Promise.all([
        runImport(['--version', '1.7.4', '--from', url, '--out', join(scratch, 'a')]),
        runImport(['--version', '1.7.4', '--from', `http://127.0.0.1:${closedPort}/x.yaml`, '--out', join(scratch, 'b')]),
        runImport(['--version', '1.7.4', '--from', join(scratch, 'nope.yaml'), '--out', join(scratch, 'c')]),
        runImport(['--version', '1.7.4', '--from', notCrd, '--out', join(scratch, 'd')]),
      ]);
      // THEN each exits 1 with one line that says why
      expect([http.code, refused.code, missing.code, wrong.code]).toEqual([1, 1, 1, 1]);
      expect(http.stderr).toContain(`import: could not download ${url}: HTTP 404 Not Found (is the tag or the path right?)`);
      expect(refused.stderr).toMatch(
        /import: could not download http:\/\/127\.0\.0\.1:\d+\/x\.yaml: connect ECONNREFUSED 127\.0\.0\.1:\d+/,
      );
      expect(missing.stderr).toBe(`import: could not read ${join(scratch, 'nope.yaml')}: no such file\n`);
      expect(wrong.stderr).toBe(`import: ${notCrd} does not hold the RestateCluster CustomResourceDefinition (it holds: Deployment)\n`);
    } finally {
      server.close();
    }
  }, 60_000);
});
