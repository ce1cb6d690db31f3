import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { SOPS_SECRET_FILE } from '../../lib/target-folder/files';
import { ValuesError } from '../../lib/values';
import { decryptWithSopsAge, encryptSecret, throwawayAgeKey } from '../support/sops';
import { describeTargetChecks, synthesizeAll } from '../support/target-checks';
import { readObjects, readTree } from '../support/tree';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'restate-stack-synth-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const synthAll = (outdir: string, valuesDir = FIXTURE_VALUES) => runSynth({ valuesDir, outdir, allowStorageChange: false });
const synthOne = (outdir: string, environment: string, provider: string, valuesDir = FIXTURE_VALUES, allowStorageChange = false) =>
  runSynth({ valuesDir, outdir, environment, provider, allowStorageChange });

describe("every target of the tests' values (test/fixtures/values)", () => {
  // The same checks run on the targets of the user's values/ in test/synth/user-targets.test.ts.
  const targets = synthesizeAll(FIXTURE_VALUES);
  describeTargetChecks(targets);

  test('the worked SOPS example is dev/kind: its encrypted Secret is passed through, right after the cluster', () => {
    const copies = targets.folders.filter((folder) => existsSync(join(targets.outdir, folder, SOPS_SECRET_FILE)));
    expect(copies).toEqual(['dev/kind']);
    expect(readFileSync(join(targets.outdir, 'dev/kind', SOPS_SECRET_FILE), 'utf8')).toBe(
      readFileSync(join(FIXTURE_VALUES, 'secrets/kind-minio.sops.yaml'), 'utf8'),
    );
    expect(Object.keys(readTree(join(targets.outdir, 'dev/kind'))).filter((f) => !f.includes('/'))).toEqual([
      '0000-operator.k8s.yaml',
      '0001-cluster.k8s.yaml',
      SOPS_SECRET_FILE,
      '0002-provisioning.k8s.yaml',
    ]);
  });
});

describe('synth of one target', () => {
  test('builds a target that is not in targets.yaml and leaves the others alone', () => {
    // GIVEN an output folder with another target and an unrelated file in it
    const outdir = join(scratch, 'dist');
    synthOne(outdir, 'dev', 'vultr');
    const before = readTree(join(outdir, 'dev/vultr'));
    // WHEN building staging on aws, which targets.yaml does not list
    const result = synthOne(outdir, 'staging', 'aws');
    // THEN
    expect(result.written).toEqual(['staging/aws']);
    expect(readObjects(join(outdir, 'staging/aws')).find(({ object }) => object.kind === 'RestateCluster')?.object.spec.storage).toEqual({
      storageRequestBytes: 42949672960,
      storageClassName: 'gp3',
    });
    expect(readTree(join(outdir, 'dev/vultr'))).toEqual(before);
  });

  test('a full synth removes target folders that are no longer listed', () => {
    const outdir = join(scratch, 'dist');
    synthOne(outdir, 'staging', 'aws');
    synthAll(outdir);
    expect(Object.keys(readTree(outdir)).some((f) => f.startsWith('staging/aws/'))).toBe(false);
  });
});

describe('a failed synth leaves the output untouched', () => {
  let values: ValuesDir;
  beforeEach(() => {
    values = new ValuesDir();
  });
  afterEach(() => values.remove());

  function expectUntouched(outdir: string, run: () => unknown, message: RegExp) {
    const before = readTree(outdir);
    expect(run).toThrow(message);
    expect(readTree(outdir)).toEqual(before);
    // no staging folder is left behind either
    expect(readdirSync(scratch).filter((name) => name.startsWith('.synth-'))).toEqual([]);
  }

  test('when one of several targets has bad values', () => {
    // GIVEN a full output and a mistake in the prod overlay only
    const outdir = join(scratch, 'dist');
    synthAll(outdir, values.path);
    values.set('environments/prod.yaml', ['replicas'], 2);
    // WHEN / THEN
    expectUntouched(outdir, () => synthAll(outdir, values.path), /environments\/prod\.yaml: replicas: must be at least 3/);
  });

  test('when the storage would shrink: the CRD refuses a smaller storageRequestBytes', () => {
    const outdir = join(scratch, 'dist');
    synthOne(outdir, 'dev', 'vultr', values.path);
    values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
    expectUntouched(
      outdir,
      () => synthOne(outdir, 'dev', 'vultr', values.path),
      /dev\/vultr: storage\.size \(set in [^)]*\): shrinks the volumes from 42949672960 to 21474836480 bytes; the RestateCluster CRD refuses a smaller storageRequestBytes/,
    );
  });

  test('when the StorageClass would change: it is immutable', () => {
    const outdir = join(scratch, 'dist');
    synthOne(outdir, 'dev', 'vultr', values.path);
    values.set('environments/dev.yaml', ['storage', 'storageClassName'], 'vultr-block-storage-hdd');
    expectUntouched(
      outdir,
      () => synthOne(outdir, 'dev', 'vultr', values.path),
      /storage\.storageClassName \(set in [^)]*\): changes from "vultr-block-storage" to "vultr-block-storage-hdd"; storageClassName is immutable/,
    );
  });

  test('but growing the storage is fine, and --allow-storage-change accepts a shrink', () => {
    const outdir = join(scratch, 'dist');
    synthOne(outdir, 'dev', 'vultr', values.path);
    values.set('environments/dev.yaml', ['storage', 'size'], '50Gi');
    expect(() => synthOne(outdir, 'dev', 'vultr', values.path)).not.toThrow();
    values.set('environments/dev.yaml', ['storage', 'size'], '10Gi');
    expect(() => synthOne(outdir, 'dev', 'vultr', values.path, true)).not.toThrow();
  });

  test('when the targets list is broken, with every problem in one ValuesError', () => {
    const outdir = join(scratch, 'dist');
    mkdirSync(outdir);
    writeFileSync(join(outdir, 'keep.txt'), 'mine');
    values.write('targets.yaml', 'targets:\n  - { environment: qa, provider: vultr }\n');
    expectUntouched(outdir, () => synthAll(outdir, values.path), /targets\.0\.environment: unknown environment "qa"/);
    expect(() => synthAll(outdir, values.path)).toThrow(ValuesError);
  });
});

describe('switching the metadata store of an existing target', () => {
  test('is refused as a data migration, not a config flip', () => {
    // GIVEN a synthesized dev/aws with replicated metadata
    const values = new ValuesDir();
    const outdir = join(scratch, 'dist');
    try {
      synthOne(outdir, 'dev', 'aws', values.path);
      const before = readTree(outdir);
      // WHEN switching it to object-store metadata
      values.set('environments/dev.yaml', ['metadata', 'store'], 'object-store');
      // THEN
      expect(() => synthOne(outdir, 'dev', 'aws', values.path)).toThrow(
        /dev\/aws: metadata\.store \(set in [^)]*\): changes from replicated to object-store; that is a data migration, not a config flip/,
      );
      expect(readTree(outdir)).toEqual(before);
      // and a new cluster (no previous output) may use it from the start
      expect(synthOne(join(scratch, 'fresh'), 'dev', 'aws', values.path).written).toEqual(['dev/aws']);
    } finally {
      values.remove();
    }
  });
});

describe('SOPS-encrypted credentials', () => {
  test('pass through synth untouched and still decrypt with the key they were encrypted to', async () => {
    // GIVEN a Secret encrypted to a throwaway age key made for this test
    const values = new ValuesDir();
    try {
      const key = await throwawayAgeKey();
      const encrypted = await encryptSecret(
        {
          name: 'restate-object-storage',
          namespace: 'restate-dev',
          stringData: { AWS_ACCESS_KEY_ID: 'id-123', AWS_SECRET_ACCESS_KEY: 'secret-456' },
        },
        key.recipient,
      );
      values.write('secrets/kind-minio.sops.yaml', encrypted);
      // WHEN synthesizing the kind target that uses it
      const outdir = join(scratch, 'dist');
      synthOne(outdir, 'dev', 'kind', values.path);
      // THEN the target holds the same bytes, which an independent SOPS implementation decrypts
      const copy = readFileSync(join(outdir, 'dev/kind', SOPS_SECRET_FILE), 'utf8');
      expect(copy).toBe(encrypted);
      expect(copy).not.toContain('secret-456');
      const decrypted = await decryptWithSopsAge(copy, key.identity);
      expect(decrypted.stringData).toEqual({ AWS_ACCESS_KEY_ID: 'id-123', AWS_SECRET_ACCESS_KEY: 'secret-456' });
    } finally {
      values.remove();
    }
    // age-keygen, sops and a synth in child processes: seconds on a busy machine (5 s ran out at a load of 50)
  }, 60_000);
});
