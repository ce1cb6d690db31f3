import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../../lib/synth/run';
import { buildPath, simulateFlux } from '../../support/flux-reconcile';
import { ClusterWorld, loadManifests, type Manifest } from '../../support/gitops-world';
import { FIXTURE_VALUES, ValuesDir } from '../../support/values-dir';

// The Flux target of the tests' values (dev/kind: SOPS credentials, in-cluster provisioning), and the same target with
// metrics on (a monitoring step) and with the provisioning by hand. The GitRepository's checkout is `root`, with
// synth's output at `dist` as in the tests' values/base.yaml (gitops.path).
const root = mkdtempSync(join(tmpdir(), 'restate-stack-flux-'));
const variants = {
  monitoring: new ValuesDir().set('providers/kind.yaml', ['metrics', 'enabled'], true),
  byHand: new ValuesDir().set('providers/kind.yaml', ['provisioning', 'automated'], false),
};
beforeAll(() => {
  runSynth({
    environment: 'dev',
    provider: 'kind',
    valuesDir: FIXTURE_VALUES,
    outdir: join(root, 'repo', 'dist'),
    allowStorageChange: false,
  });
  runSynth({
    environment: 'dev',
    provider: 'kind',
    valuesDir: variants.monitoring.path,
    outdir: join(root, 'monitoring', 'dist'),
    allowStorageChange: false,
  });
  runSynth({
    environment: 'dev',
    provider: 'kind',
    valuesDir: variants.byHand.path,
    outdir: join(root, 'byhand', 'dist'),
    allowStorageChange: false,
  });
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  for (const values of Object.values(variants)) values.remove();
});

const kustomizationsOf = (checkout: string) => loadManifests(join(checkout, 'dist', 'dev', 'kind', 'flux', 'kustomizations.yaml'));

describe("Flux on a fresh cluster, with only the target's flux/ entry applied", () => {
  test('dev/kind converges: operator, CRDs Established, cluster, credentials Secret, provisioning, each after the one before', () => {
    // GIVEN a fresh cluster with Flux and the target's Kustomizations
    const checkout = join(root, 'repo');
    const world = new ClusterWorld({ tools: ['flux'] });
    // WHEN kustomize-controller reconciles them
    const outcome = simulateFlux(world, kustomizationsOf(checkout), checkout);
    // THEN each turns Ready in the chain's order and the RestateCluster is Ready, provisioned by the Job
    expect({ notReady: outcome.notReady, history: Object.keys(outcome.notReady).length > 0 ? world.history() : '' }).toEqual({
      notReady: {},
      history: '',
    });
    expect(outcome.readyOrder).toEqual([
      'restate-dev-operator',
      'restate-dev-cluster',
      'restate-dev-credentials',
      'restate-dev-provisioning',
    ]);
    expect(world.get('restate.dev/v1', 'RestateCluster', 'restate-dev')?.status.conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
    });
    expect(world.history()).toMatch(/Job restate-dev-provision: provisioned restate-dev/);
  });

  test('each step waits for the one before: the cluster step is not applied before the CRDs are Established', () => {
    const checkout = join(root, 'repo');
    const world = new ClusterWorld({ tools: ['flux'] });
    simulateFlux(world, kustomizationsOf(checkout), checkout);
    const lines = world.history().split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(at(/created restate.dev\/RestateCluster/)).toBeGreaterThan(at(/Kustomization restate-dev-operator Ready/));
    expect(at(/created \/Secret\/restate-dev\/restate-object-storage/)).toBeGreaterThan(at(/operator: created namespace restate-dev/));
    expect(at(/created batch\/Job/)).toBeGreaterThan(at(/Kustomization restate-dev-credentials Ready/));
    // and nothing was refused on the way: no step ran before what it needs
    expect(world.history()).not.toMatch(/refused|dry run of/);
  });

  test('with metrics on, monitoring comes last; with provisioning by hand, the chain ends at the credentials', () => {
    const monitoring = simulateFlux(
      new ClusterWorld({ tools: ['flux'] }),
      kustomizationsOf(join(root, 'monitoring')),
      join(root, 'monitoring'),
    );
    expect(monitoring.readyOrder).toEqual([
      'restate-dev-operator',
      'restate-dev-cluster',
      'restate-dev-credentials',
      'restate-dev-provisioning',
      'restate-dev-monitoring',
    ]);
    const world = new ClusterWorld({ tools: ['flux'] });
    const byHand = simulateFlux(world, kustomizationsOf(join(root, 'byhand')), join(root, 'byhand'));
    expect(byHand.readyOrder).toEqual(['restate-dev-operator', 'restate-dev-cluster', 'restate-dev-credentials']);
    expect(world.get('apps/v1', 'StatefulSet', 'restate', 'restate-dev')?.status).toMatchObject({ runningReplicas: 3, readyReplicas: 0 });
  });

  test('every step folder builds to exactly the target files of its step (kustomize over ../../ paths)', () => {
    const checkout = join(root, 'repo');
    const kinds = kustomizationsOf(checkout).map((k) =>
      buildPath(k, checkout).map(({ object }) => `${object.kind}/${object.metadata.name}`),
    );
    expect(kinds).toEqual([
      ['Namespace/restate-operator', 'OCIRepository/restate-operator', 'HelmRelease/restate-operator'],
      ['RestateCluster/restate-dev'],
      ['Secret/restate-object-storage'],
      ['ConfigMap/restate-dev-provision', 'ServiceAccount/restate-dev-provision', 'Job/restate-dev-provision'],
    ]);
  });
});

describe('the step folders under the real kustomize (kubectl kustomize)', () => {
  test("build with Flux's load restrictions (none) to the step's objects, and the entry folder to the Kustomizations only", () => {
    // GIVEN the synthesized flux/ folder of dev/kind
    const flux = join(root, 'repo', 'dist', 'dev', 'kind', 'flux');
    const build = (...args: string[]) => spawnSync('kubectl', ['kustomize', ...args], { encoding: 'utf8' });
    // WHEN built as kustomize-controller builds them (LoadRestrictionsNone)
    const provisioning = build('--load-restrictor', 'LoadRestrictionsNone', join(flux, 'provisioning'));
    const entry = build(join(flux));
    // THEN the step folder holds the provisioning objects, and the entry only the Kustomizations (no walk into steps)
    expect(provisioning.status).toBe(0);
    expect([...provisioning.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort()).toEqual(['ConfigMap', 'Job', 'ServiceAccount']);
    expect(entry.status).toBe(0);
    expect([...entry.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])).toEqual([
      'Kustomization',
      'Kustomization',
      'Kustomization',
      'Kustomization',
    ]);
    // and under kustomize's default restrictions the ../../ paths are refused: the folders are for Flux, not for kubectl -k
    expect(build(join(flux, 'provisioning')).stderr).toMatch(/is not in or below/);
  });
});

describe('the single Kustomization over the whole target folder, for comparison', () => {
  test('never converges on a fresh cluster: its dry run fails on the RestateCluster, so the HelmRelease is never applied', () => {
    // GIVEN one Kustomization over dist/dev/kind (every top-level file), with SOPS decryption
    const checkout = join(root, 'repo');
    const folder = join(checkout, 'dist', 'dev', 'kind');
    const files = readdirSync(folder)
      .filter((name) => statSync(join(folder, name)).isFile())
      .sort();
    const single: Manifest = { ...kustomizationsOf(checkout)[0]!, metadata: { name: 'restate-dev', namespace: 'flux-system' } };
    single.spec = {
      ...single.spec,
      path: './dist/dev/kind',
      decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
      healthChecks: [],
    };
    const world = new ClusterWorld({ tools: ['flux'] });
    // WHEN reconciled with a kustomization.yaml that lists the folder's files (what Flux generates for it)
    const outcome = simulateFlux(world, [single], checkout, 300, (k) => (k === single ? files.map((f) => join(folder, f)) : undefined));
    // THEN it stays not Ready, every attempt refused by the dry run, and the operator never arrives
    expect(outcome.readyOrder).toEqual([]);
    expect(outcome.notReady['restate-dev']).toMatch(
      /^dry run failed: restate.dev\/RestateCluster\/\/restate-dev: no matches for kind "RestateCluster"/,
    );
    expect(world.get('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'restate-operator', 'flux-system')).toBeUndefined();
  });
});
