import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { OPERATOR_FILE, OUTPUT_MARKER, SOPS_SECRET_FILE } from '../../lib/target-folder/files';
import { readOperatorRelease } from '../../lib/target-folder/operator-release';
import { asOperatorVersion, isSopsEncryptedSecret, loadTargets, loadTargetValues, targetDir } from '../../lib/values';
import { loadManifests } from './gitops-world';
import { readObjects, readTree } from './tree';
import { validateManifests } from './validate';

/** Every target of a values folder, synthesized once into a temporary folder (removed after the file's tests). */
export interface SynthesizedTargets {
  readonly valuesDir: string;
  readonly outdir: string;
  /** `<environment>/<provider>` of each target of targets.yaml, in its order. */
  readonly folders: readonly string[];
}

/** Synthesizes every target of `valuesDir` while the tests are collected. */
export function synthesizeAll(valuesDir: string): SynthesizedTargets {
  const outdir = mkdtempSync(join(tmpdir(), 'restate-stack-targets-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  runSynth({ valuesDir, outdir, allowStorageChange: false });
  return { valuesDir, outdir, folders: loadTargets(valuesDir).map(targetDir) };
}

/** The GitOps object files of a target folder (its `argocd/` and `flux/`), without kustomize's own files. */
function gitOpsObjectFiles(folder: string): string[] {
  const under = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? under(join(dir, name)) : [join(dir, name)]));
  return ['argocd', 'flux']
    .map((name) => join(folder, name))
    .filter((dir) => existsSync(dir))
    .flatMap(under)
    .filter((file) => !file.endsWith('kustomization.yaml'))
    .sort();
}

/**
 * What holds for every target whatever its values say: the operator first, nothing in the namespace the operator
 * creates, no plaintext Secret, SOPS files passed through, every object valid against its upstream schema, exactly
 * the listed targets, and a second synth byte-identical. Declared for the targets of `targets`' values folder.
 */
export function describeTargetChecks(targets: SynthesizedTargets): void {
  const { valuesDir, outdir, folders } = targets;
  const each = folders.map((folder) => [folder]);

  test.each(each)('%s applies the operator before the cluster', (folder) => {
    const files = Object.keys(readTree(join(outdir, folder)));
    expect(files.slice(0, 2)).toEqual(['0000-operator.k8s.yaml', '0001-cluster.k8s.yaml']);
  });

  test.each(each)('%s puts nothing into the namespace the operator creates for the cluster', (folder) => {
    // (but for SOPS-encrypted credentials, applied once the operator created it: see the next test)
    const objects = readObjects(join(outdir, folder))
      .filter(({ file }) => file !== SOPS_SECRET_FILE)
      .map(({ object }) => object);
    const cluster = objects.find((o) => o.kind === 'RestateCluster');
    expect(cluster.metadata.namespace).toBeUndefined();
    const clusterNamespace = cluster.metadata.name;
    expect(objects.filter((o) => o.metadata.namespace === clusterNamespace)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Namespace' && o.metadata.name === clusterNamespace)).toEqual([]);
  });

  test.each(each)('%s holds no plaintext Secret', (folder) => {
    const secrets = readObjects(join(outdir, folder)).filter(({ object }) => object.kind === 'Secret');
    for (const { file, object } of secrets) {
      expect([file, isSopsEncryptedSecret(object) || (object.data === undefined && object.stringData === undefined)]).toEqual([file, true]);
    }
  });

  test.each(each)(
    '%s: SOPS-encrypted credentials, when its values name a file, are that file byte for byte, right after the cluster',
    (folder) => {
      const [environment, provider] = folder.split('/') as [string, string];
      const { credentials } = loadTargetValues(valuesDir, environment, provider).values.objectStorage ?? {};
      const copy = join(outdir, folder, SOPS_SECRET_FILE);
      if (credentials?.source !== 'sops') {
        expect(existsSync(copy)).toBe(false);
        return;
      }
      expect(readFileSync(copy, 'utf8')).toBe(readFileSync(join(valuesDir, credentials.sopsFile!), 'utf8'));
      const files = Object.keys(readTree(join(outdir, folder))).filter((f) => !f.includes('/'));
      expect(files.indexOf(SOPS_SECRET_FILE)).toBe(files.indexOf('0001-cluster.k8s.yaml') + 1);
    },
  );

  test.each(each)('%s: every object passes its upstream schema, the RestateCluster that of its own operator version', (folder) => {
    // A SOPS file is validated as the Secret it decrypts to: its values are ciphertext, its sops block goes.
    const objects = readObjects(join(outdir, folder)).map(({ object }) => {
      const { sops: _sops, ...rest } = object;
      return rest;
    });
    expect(objects.length).toBeGreaterThanOrEqual(2);
    // The version the target's operator file deploys, which must be the one its values name.
    const { operatorVersion } = readOperatorRelease(readFileSync(join(outdir, folder, OPERATOR_FILE), 'utf8'));
    const [environment, provider] = folder.split('/');
    expect(operatorVersion).toBe(loadTargetValues(valuesDir, environment!, provider!).values.operator.version);
    expect(validateManifests(objects, { operatorVersion: asOperatorVersion(operatorVersion) })).toEqual([]);
  });

  test.each(each)('%s: every object of its GitOps entries passes its upstream schema (Argo CD and Flux CRDs, Kubernetes)', (folder) => {
    const files = gitOpsObjectFiles(join(outdir, folder));
    expect(files.length).toBeGreaterThan(0);
    const problems = files.flatMap((file) => validateManifests(loadManifests(file)).map((p) => `${relative(outdir, file)}: ${p}`));
    expect(problems).toEqual([]);
  });

  test("the output folder holds exactly the targets of targets.yaml, and the marker that it is synth's", () => {
    const files = Object.keys(readTree(outdir));
    expect(files.filter((f) => !f.includes('/'))).toEqual([OUTPUT_MARKER]);
    const written = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/').slice(0, 2).join('/')))];
    expect(written.sort()).toEqual([...folders].sort());
  });

  test('a second synth is byte-identical', () => {
    const again = mkdtempSync(join(tmpdir(), 'restate-stack-targets-again-'));
    try {
      runSynth({ valuesDir, outdir: again, allowStorageChange: false });
      expect(readTree(again)).toEqual(readTree(outdir));
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
}
