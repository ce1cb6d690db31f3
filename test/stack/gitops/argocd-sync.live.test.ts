import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../../lib/synth/run';
import { SOPS_SECRET_FILE } from '../../../lib/target-folder/files';
import { argoHealth, simulateArgoSync } from '../../support/argocd-sync';
import { GitopsCluster } from '../../support/gitops-cluster';
import { ClusterWorld, loadManifests, type Manifest } from '../../support/gitops-world';
import { FIXTURE_VALUES, ValuesDir } from '../../support/values-dir';

// One real API server for the file (lib/control-plane/harness.ts), with Argo CD's CRDs installed; each test starts
// from that fresh cluster (GitopsCluster.reset removes what the test before it made).
let cluster: GitopsCluster;
beforeAll(async () => {
  cluster = await GitopsCluster.start('argocd');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** A fresh cluster with Argo CD installed: what the test before left is removed. */
async function freshWorld(): Promise<ClusterWorld> {
  await cluster.reset();
  return new ClusterWorld(cluster);
}

// Every target of the repository's values, plus one that the repository does not have: the argocd delivery with
// SOPS credentials (dev/kind switched to argocd), whose Secret comes from a second Application.
const dist = mkdtempSync(join(tmpdir(), 'restate-stack-argocd-sync-'));
const argoSops = new ValuesDir().set('providers/kind.yaml', ['operator', 'delivery'], 'argocd');
const argoSopsDist = join(dist, 'argocd-sops');
beforeAll(() => {
  runSynth({ valuesDir: FIXTURE_VALUES, outdir: join(dist, 'repo'), allowStorageChange: false });
  runSynth({ environment: 'dev', provider: 'kind', valuesDir: argoSops.path, outdir: argoSopsDist, allowStorageChange: false });
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  argoSops.remove();
});

interface ArgoTarget {
  readonly folder: string;
  /** The target's Application, as synth wrote it. */
  readonly application: Manifest;
  /** What that Application syncs: the folder's top-level files, not recursive, minus its exclude. */
  readonly objects: Manifest[];
  /** The Secret the credentials Application syncs, when there is one. */
  readonly credentials?: Manifest;
  readonly clusterName: string;
  readonly automatedProvisioning: boolean;
}

function argoTarget(folder: string): ArgoTarget {
  const apps = loadManifests(join(folder, 'argocd', 'application.yaml'));
  const application = apps[0]!;
  const exclude: string | undefined = application.spec.source.directory?.exclude;
  const files = readdirSync(folder)
    .filter((name) => statSync(join(folder, name)).isFile() && /\.ya?ml$/.test(name) && name !== exclude)
    .sort();
  const objects = files.flatMap((name) => loadManifests(join(folder, name)));
  const cluster = objects.find((o) => o.kind === 'RestateCluster')!;
  // The SOPS file holds ciphertext; KSOPS hands Argo CD the decrypted Secret: the same object without the `sops`
  // block (which the API server refuses: ".sops: field not declared in schema"). Not decrypted here (no private key):
  // its values stay ciphertext, which the server takes as any string.
  const sopsFile = apps.length > 1 ? loadManifests(join(folder, SOPS_SECRET_FILE))[0] : undefined;
  const { sops: _sops, ...credentials } = sopsFile ?? {};
  return {
    folder,
    application,
    objects,
    credentials: sopsFile ? credentials : undefined,
    clusterName: cluster.metadata.name,
    automatedProvisioning: objects.some((o) => o.kind === 'Job'),
  };
}

function repoTargets(): string[] {
  const root = join(dist, 'repo');
  return readdirSync(root)
    .filter((env) => !env.startsWith('.'))
    .flatMap((env) => readdirSync(join(root, env)).map((provider) => join(root, env, provider)))
    .filter((folder) => readdirSync(folder).includes('argocd'));
}

/** The RestateCluster's health by the Lua check synth writes into argocd-cm, on the object the server holds. */
async function argoClusterHealth(world: ClusterWorld, name: string): Promise<string | undefined> {
  const live = await world.get('restate.dev/v1', 'RestateCluster', name);
  return live ? argoHealth(live) : undefined;
}

/** Ticks of the stand-ins (the operator, the kubelet) after a sync ended. */
async function ticks(world: ClusterWorld, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) await world.tick();
}

/** The credentials Application on its own: retries until the operator created the namespace. */
function credentialsApplication(world: ClusterWorld, secret: Manifest | undefined): () => Promise<void> {
  let done = secret === undefined;
  let attempts = 0;
  return async () => {
    if (done || world.now % 3 !== 0 || attempts > 10) return;
    attempts += 1;
    done = (await world.apply(secret!, 'Argo CD (credentials Application)')) === undefined;
  };
}

describe('a first Argo CD sync of a target on a fresh cluster', () => {
  test('every target of the repository has an Argo CD entry or is a Flux target', () => {
    expect(
      repoTargets()
        .map((f) => f.split('/').slice(-2).join('/'))
        .sort(),
    ).toEqual(['dev/vultr', 'prod/aws', 'prod/vultr', 'staging/vultr']);
  });

  test.each(['prod/vultr', 'prod/aws'])(
    '%s converges on its own: operator, then the cluster with its provisioning hook in the same wave, then monitoring',
    async (name) => {
      // GIVEN a fresh cluster with Argo CD (and the argocd-cm health checks synth writes) and the target's Application
      const target = argoTarget(join(dist, 'repo', name));
      const world = await freshWorld();
      // WHEN Argo CD syncs it, with the Application's own retry limit
      const outcome = await simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
      // THEN the first attempt succeeds, wave by wave, and ends with the RestateCluster Ready
      expect({ outcome, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toMatchObject({
        outcome: { phase: 'Succeeded', attempts: 1 },
        history: '',
      });
      expect(outcome.applied).toEqual(['Sync/-1', 'Sync/0', 'Sync/1']);
      if (name === 'prod/aws') CONVERGED_TICKS = outcome.ticks;
      expect(await argoClusterHealth(world, target.clusterName)).toBe('Healthy');
    },
    180_000,
  );

  test('staging/vultr (operator 2.8.1: its CRDs chart first, autoProvision) converges on the first attempt', async () => {
    // GIVEN the 2.8.1 target: the CRDs chart's Application in wave -2, the operator (skipCrds) in -1, the cluster in 0
    const target = argoTarget(join(dist, 'repo', 'staging/vultr'));
    const world = await freshWorld();
    // WHEN Argo CD syncs it
    const outcome = await simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
    // THEN every wave is applied once, and the operator's own provisioning makes the cluster Healthy
    expect({ outcome, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toMatchObject({
      outcome: { phase: 'Succeeded', attempts: 1 },
      history: '',
    });
    expect(outcome.applied).toEqual(['Sync/-2', 'Sync/-1', 'Sync/0']);
    await ticks(world, 5);
    expect(await argoClusterHealth(world, target.clusterName)).toBe('Healthy');
  }, 180_000);

  test.each(['dev/vultr'])(
    '%s (provisioned by hand) syncs, and turns Healthy once someone runs the provisioning',
    async (name) => {
      // GIVEN a target without the in-cluster Job (provisioning.automated false)
      const target = argoTarget(join(dist, 'repo', name));
      const world = await freshWorld();
      // WHEN Argo CD syncs it
      const outcome = await simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
      // THEN the sync succeeds after its last wave (Argo CD does not wait for the health of the last wave), and the
      // cluster is Progressing: its pods run and wait for `mise run provision`, which nothing in the sync blocks
      expect(outcome).toMatchObject({ phase: 'Succeeded', attempts: 1, applied: ['Sync/-1', 'Sync/0'] });
      await ticks(world, 5);
      expect(await argoClusterHealth(world, target.clusterName)).toBe('Progressing');
      expect(await world.provisionByHand(target.clusterName)).toBe(true);
      await ticks(world, 3);
      expect(await argoClusterHealth(world, target.clusterName)).toBe('Healthy');
    },
    180_000,
  );

  test('the argocd delivery with SOPS credentials converges: the Secret comes from its own Application', async () => {
    // GIVEN dev/kind under Argo CD: the Secret is excluded from the target's Application
    const target = argoTarget(join(argoSopsDist, 'dev', 'kind'));
    expect(target.objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(target.credentials?.kind).toBe('Secret');
    const world = await freshWorld();
    // WHEN both Applications sync
    const outcome = await simulateArgoSync(world, target.objects, 5, { everyTick: credentialsApplication(world, target.credentials) });
    // THEN the pods start once the Secret arrives, the Job provisions, and the sync succeeds at the first attempt
    expect({ phase: outcome.phase, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toEqual({
      phase: 'Succeeded',
      history: '',
    });
    expect(outcome.attempts).toBe(1);
    expect(await argoClusterHealth(world, target.clusterName)).toBe('Healthy');
  }, 180_000);
});

/** Ticks prod/aws's sync took to converge in its own test (the naive design below gets twice as many). */
let CONVERGED_TICKS = 40;

describe('the naive design, for comparison', () => {
  test('deadlocks when the provisioning Job is a Sync hook in a later wave than the RestateCluster', async () => {
    // GIVEN prod/aws with its provisioning objects moved to wave 1 (after the RestateCluster, wave 0)
    const target = argoTarget(join(dist, 'repo', 'prod/aws'));
    const naive = target.objects.map((o) =>
      o.metadata?.labels?.['app.kubernetes.io/component'] === 'provisioning'
        ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'argocd.argoproj.io/sync-wave': '1' } } }
        : o,
    );
    const world = await freshWorld();
    // WHEN Argo CD syncs it, for twice the ticks the same target takes to converge in the right design
    const outcome = await simulateArgoSync(world, naive, 5, { budget: 2 * CONVERGED_TICKS });
    // THEN wave 0 waits for the RestateCluster's health all along: Ready needs provisioning, which is in wave 1
    expect(outcome.phase).toBe('Stuck');
    expect(outcome.message).toBe('waiting for completion of health of restate.dev/RestateCluster//restate-prod');
    expect(outcome.applied).not.toContain('Sync/1');
    expect(await world.get('batch/v1', 'Job', 'restate-prod-provision', 'restate-operator')).toBeUndefined();
    // and the StatefulSet's pods exist, none of them Ready: nothing provisions the cluster
    const sts = await world.get('apps/v1', 'StatefulSet', 'restate', 'restate-prod');
    const replicas = target.objects.find((o) => o.kind === 'RestateCluster')!.spec.compute.replicas;
    expect({ replicas: sts?.status?.replicas, ready: sts?.status?.readyReplicas ?? 0 }).toEqual({ replicas, ready: 0 });
  }, 180_000);

  test('fails its first attempts when the SOPS Secret is in the same Application as the RestateCluster', async () => {
    // GIVEN dev/kind under Argo CD with the Secret put back into the target's Application (wave 0)
    const target = argoTarget(join(argoSopsDist, 'dev', 'kind'));
    const world = await freshWorld();
    // The hook of the failed wave runs on until the real Job controller ends it at its activeDeadlineSeconds: 1980 s
    // as synthesized, 20 s here so that the test waits for it.
    const objects = target.objects.map((o) => (o.kind === 'Job' ? { ...o, spec: { ...o.spec, activeDeadlineSeconds: 20 } } : o));
    const outcome = await simulateArgoSync(
      world,
      [...objects, { ...target.credentials!, metadata: { ...target.credentials!.metadata, annotations: {} } }],
      5,
      { budget: 200 },
    );
    // THEN the first attempt fails (the operator has not created the namespace when the Secret is applied), and
    // the provisioning hook of that wave runs on meanwhile: the cluster only converges through a retry
    expect(outcome.attempts).toBeGreaterThan(1);
    expect(world.history()).toContain(
      'apply /Secret/restate-dev/restate-object-storage refused: Error from server (NotFound): namespaces "restate-dev" not found',
    );
    expect(world.history()).toMatch(/operation 1: Failed: one or more objects failed to apply/);
    expect(outcome.phase).toBe('Succeeded');
  }, 240_000);
});
