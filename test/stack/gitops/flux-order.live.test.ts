import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runSynth } from '../../../lib/synth/run';
import { buildPath, simulateFlux } from '../../support/flux-reconcile';
import { GitopsCluster } from '../../support/gitops-cluster';
import { ClusterWorld, loadManifests, type Manifest } from '../../support/gitops-world';
import { FIXTURE_VALUES, ValuesDir } from '../../support/values-dir';

// One real API server for the file (lib/control-plane/harness.ts), with Flux's CRDs installed; each test starts
// from that fresh cluster (GitopsCluster.reset removes what the test before it made).
let cluster: GitopsCluster;
beforeAll(async () => {
  cluster = await GitopsCluster.start('flux');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** A fresh cluster with Flux installed: what the test before left is removed. */
async function freshWorld(): Promise<ClusterWorld> {
  await cluster.reset();
  return new ClusterWorld(cluster);
}

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
  // GIVEN a fresh cluster with Flux and the target's Kustomizations; WHEN kustomize-controller reconciles them (once,
  // for the two tests below)
  let world: ClusterWorld;
  let outcome: Awaited<ReturnType<typeof simulateFlux>>;
  beforeAll(async () => {
    const checkout = join(root, 'repo');
    world = await freshWorld();
    outcome = await simulateFlux(world, kustomizationsOf(checkout), checkout);
  }, 180_000);

  test('dev/kind converges: operator, CRDs Established, cluster, credentials Secret, provisioning, each after the one before', async () => {
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
    expect((await world.get('restate.dev/v1', 'RestateCluster', 'restate-dev'))?.status.conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
    });
    expect(world.history()).toMatch(/Job restate-dev-provision: provisioned restate-dev/);
    // and the real Job controller marked the Job Complete from its pod's success
    expect((await world.get('batch/v1', 'Job', 'restate-dev-provision', 'restate-operator'))?.status.succeeded).toBe(1);
  }, 30_000);

  test('each step waits for the one before: the cluster step is not applied before the CRDs are Established', () => {
    const lines = world.history().split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(at(/created restate.dev\/RestateCluster/)).toBeGreaterThan(at(/Kustomization restate-dev-operator Ready/));
    expect(at(/created \/Secret\/restate-dev\/restate-object-storage/)).toBeGreaterThan(at(/operator: created namespace restate-dev/));
    expect(at(/created batch\/Job/)).toBeGreaterThan(at(/Kustomization restate-dev-credentials Ready/));
    // and nothing was refused on the way: no step ran before what it needs
    expect(world.history()).not.toMatch(/refused|dry run of/);
  });

  test("a changed Job is refused by the server as immutable; the step's force: true recreates it", async () => {
    // GIVEN the converged cluster, and the provisioning step with its Job's image changed (as the next image writes it)
    const checkout = join(root, 'repo');
    const step = kustomizationsOf(checkout).find((k) => k.metadata.name === 'restate-dev-provisioning')!;
    const changed = buildPath(step, checkout).map(({ object }) =>
      object.kind === 'Job' ? withJobImage(object, `${jobImage(object)}-changed`) : object,
    );
    const file = join(root, 'changed-provisioning.yaml');
    writeFileSync(file, changed.map((o) => stringify(o)).join('---\n'));
    const alone = (force: boolean): Manifest => ({ ...step, spec: { ...step.spec, force, dependsOn: [] } });
    const live = async () => jobImage(await world.get('batch/v1', 'Job', 'restate-dev-provision', 'restate-operator'));
    const before = await live();

    // WHEN kustomize-controller reconciles it without force
    const plain = await simulateFlux(world, [alone(false)], checkout, 3, () => [file]);
    // THEN the server's dry run refuses the new pod template, and the Job keeps its image
    expect(plain.notReady['restate-dev-provisioning']).toMatch(
      /^dry run failed: batch\/Job\/restate-operator\/restate-dev-provision: .*field is immutable/,
    );
    expect(await live()).toBe(before);

    // WHEN with force: true, as synth writes the step
    const forced = await simulateFlux(world, [alone(true)], checkout, 30, () => [file]);
    // THEN the Job is deleted and created again with the new image, runs, and the step turns Ready
    expect({ ready: forced.readyOrder, history: forced.readyOrder.length === 1 ? '' : world.history() }).toEqual({
      ready: ['restate-dev-provisioning'],
      history: '',
    });
    expect(world.history()).toMatch(/batch\/Job\/restate-operator\/restate-dev-provision immutable, recreated \(force\)/);
    expect(await live()).toBe(`${before}-changed`);
  }, 180_000);

  test('with metrics on, monitoring comes last; with provisioning by hand, the chain ends at the credentials', async () => {
    const monitoring = await simulateFlux(await freshWorld(), kustomizationsOf(join(root, 'monitoring')), join(root, 'monitoring'));
    expect(monitoring.readyOrder).toEqual([
      'restate-dev-operator',
      'restate-dev-cluster',
      'restate-dev-credentials',
      'restate-dev-provisioning',
      'restate-dev-monitoring',
    ]);
    const world = await freshWorld();
    const byHand = await simulateFlux(world, kustomizationsOf(join(root, 'byhand')), join(root, 'byhand'));
    expect(byHand.readyOrder).toEqual(['restate-dev-operator', 'restate-dev-cluster', 'restate-dev-credentials']);
    // the StatefulSet controller made its three pods, which run (the kubelet stand-in) and wait for `mise run provision`
    const sts = await world.get('apps/v1', 'StatefulSet', 'restate', 'restate-dev');
    expect({ replicas: sts?.status.replicas, ready: sts?.status.readyReplicas ?? 0 }).toEqual({ replicas: 3, ready: 0 });
    const pods = JSON.parse((await cluster.kubectl(['get', 'pods', '-n', 'restate-dev', '-o', 'json'])).stdout).items;
    expect(pods.map((p: Manifest) => p.status.phase)).toEqual(['Running', 'Running', 'Running']);
  }, 240_000);

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
  test('never converges on a fresh cluster: its dry run fails on the RestateCluster, so the HelmRelease is never applied', async () => {
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
    const world = await freshWorld();
    // WHEN reconciled with a kustomization.yaml that lists the folder's files (what Flux generates for it)
    const outcome = await simulateFlux(world, [single], checkout, 20, (k) =>
      k === single ? files.map((f) => join(folder, f)) : undefined,
    );
    // THEN it stays not Ready, every attempt refused by the dry run, and the operator never arrives
    expect(outcome.readyOrder).toEqual([]);
    expect(outcome.notReady['restate-dev']).toMatch(
      /^dry run failed: restate.dev\/RestateCluster\/\/restate-dev: .*no matches for kind "RestateCluster" in version "restate.dev\/v1"/,
    );
    expect(world.history().match(/dry run of restate.dev\/RestateCluster\/\/restate-dev failed/g)?.length).toBeGreaterThan(1);
    expect(await world.get('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'restate-operator', 'flux-system')).toBeUndefined();
  }, 180_000);
});

function jobImage(job: Manifest | undefined): string | undefined {
  return job?.spec.template.spec.containers[0].image;
}

function withJobImage(job: Manifest, image: string): Manifest {
  const copy = structuredClone(job);
  copy.spec.template.spec.containers[0].image = image;
  return copy;
}
