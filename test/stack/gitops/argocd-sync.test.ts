import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../../lib/synth/run';
import { SOPS_SECRET_FILE } from '../../../lib/target-folder/files';
import { argoHealth, simulateArgoSync } from '../../support/argocd-sync';
import { ClusterWorld, loadManifests, type Manifest } from '../../support/gitops-world';
import { FIXTURE_VALUES, ValuesDir } from '../../support/values-dir';

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
  // The SOPS file holds ciphertext; KSOPS would hand Argo CD the decrypted Secret, which has the same metadata.
  const credentials = apps.length > 1 ? loadManifests(join(folder, SOPS_SECRET_FILE))[0] : undefined;
  return {
    folder,
    application,
    objects,
    credentials,
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

/** The RestateCluster's health by the Lua check synth writes into argocd-cm. */
function argoClusterHealth(world: ClusterWorld, name: string): string | undefined {
  const live = world.get('restate.dev/v1', 'RestateCluster', name);
  return live ? argoHealth(live) : undefined;
}

/** The credentials Application on its own: retries until the operator created the namespace. */
function credentialsApplication(world: ClusterWorld, secret: Manifest | undefined): () => void {
  let done = secret === undefined;
  let attempts = 0;
  return () => {
    if (done || world.now % 3 !== 0 || attempts > 10) return;
    attempts += 1;
    done = world.apply(secret!, 'Argo CD (credentials Application)') === undefined;
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
    (name) => {
      // GIVEN a fresh cluster with Argo CD (and the argocd-cm health checks synth writes) and the target's Application
      const target = argoTarget(join(dist, 'repo', name));
      const world = new ClusterWorld({ tools: ['argocd'] });
      // WHEN Argo CD syncs it, with the Application's own retry limit
      const outcome = simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
      // THEN the first attempt succeeds, wave by wave, and ends with the RestateCluster Ready
      expect({ outcome, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toMatchObject({
        outcome: { phase: 'Succeeded', attempts: 1 },
        history: '',
      });
      expect(outcome.applied).toEqual(['Sync/-1', 'Sync/0', 'Sync/1']);
      expect(argoClusterHealth(world, target.clusterName)).toBe('Healthy');
    },
  );

  test('staging/vultr (operator 2.8.1: its CRDs chart first, autoProvision) converges on the first attempt', () => {
    // GIVEN the 2.8.1 target: the CRDs chart's Application in wave -2, the operator (skipCrds) in -1, the cluster in 0
    const target = argoTarget(join(dist, 'repo', 'staging/vultr'));
    const world = new ClusterWorld({ tools: ['argocd'] });
    // WHEN Argo CD syncs it
    const outcome = simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
    // THEN every wave is applied once, and the operator's own provisioning makes the cluster Healthy
    expect({ outcome, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toMatchObject({
      outcome: { phase: 'Succeeded', attempts: 1 },
      history: '',
    });
    expect(outcome.applied).toEqual(['Sync/-2', 'Sync/-1', 'Sync/0']);
    for (let i = 0; i < 5; i += 1) world.tick();
    expect(argoClusterHealth(world, target.clusterName)).toBe('Healthy');
  });

  test.each(['dev/vultr'])('%s (provisioned by hand) syncs, and turns Healthy once someone runs the provisioning', (name) => {
    // GIVEN a target without the in-cluster Job (provisioning.automated false)
    const target = argoTarget(join(dist, 'repo', name));
    const world = new ClusterWorld({ tools: ['argocd'] });
    // WHEN Argo CD syncs it
    const outcome = simulateArgoSync(world, target.objects, target.application.spec.syncPolicy.retry.limit);
    // THEN the sync succeeds after its last wave (Argo CD does not wait for the health of the last wave), and the
    // cluster is Progressing: its pods run and wait for `mise run provision`, which nothing in the sync blocks
    expect(outcome).toMatchObject({ phase: 'Succeeded', attempts: 1, applied: ['Sync/-1', 'Sync/0'] });
    for (let i = 0; i < 5; i += 1) world.tick();
    expect(argoClusterHealth(world, target.clusterName)).toBe('Progressing');
    expect(world.provisionByHand(target.clusterName)).toBe(true);
    world.tick();
    expect(argoClusterHealth(world, target.clusterName)).toBe('Healthy');
  });

  test('the argocd delivery with SOPS credentials converges: the Secret comes from its own Application', () => {
    // GIVEN dev/kind under Argo CD: the Secret is excluded from the target's Application
    const target = argoTarget(join(argoSopsDist, 'dev', 'kind'));
    expect(target.objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(target.credentials?.kind).toBe('Secret');
    const world = new ClusterWorld({ tools: ['argocd'] });
    // WHEN both Applications sync
    const outcome = simulateArgoSync(world, target.objects, 5, { everyTick: credentialsApplication(world, target.credentials) });
    // THEN the pods start once the Secret arrives, the Job provisions, and the sync succeeds at the first attempt
    expect({ phase: outcome.phase, history: outcome.phase === 'Succeeded' ? '' : world.history() }).toEqual({
      phase: 'Succeeded',
      history: '',
    });
    expect(outcome.attempts).toBe(1);
    expect(argoClusterHealth(world, target.clusterName)).toBe('Healthy');
  });
});

describe('the naive design, for comparison', () => {
  test('deadlocks when the provisioning Job is a Sync hook in a later wave than the RestateCluster', () => {
    // GIVEN prod/aws with its provisioning objects moved to wave 1 (after the RestateCluster, wave 0)
    const target = argoTarget(join(dist, 'repo', 'prod/aws'));
    const naive = target.objects.map((o) =>
      o.metadata?.labels?.['app.kubernetes.io/component'] === 'provisioning'
        ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'argocd.argoproj.io/sync-wave': '1' } } }
        : o,
    );
    const world = new ClusterWorld({ tools: ['argocd'] });
    // WHEN Argo CD syncs it
    const outcome = simulateArgoSync(world, naive, 5, { budget: 300 });
    // THEN wave 0 waits for the RestateCluster's health forever: Ready needs provisioning, which is in wave 1
    expect(outcome.phase).toBe('Stuck');
    expect(outcome.message).toBe('waiting for completion of health of restate.dev/RestateCluster//restate-prod');
    expect(outcome.applied).not.toContain('Sync/1');
    expect(world.get('batch/v1', 'Job', 'restate-prod-provision', 'restate-operator')).toBeUndefined();
  });

  test('fails its first attempts when the SOPS Secret is in the same Application as the RestateCluster', () => {
    // GIVEN dev/kind under Argo CD with the Secret put back into the target's Application (wave 0)
    const target = argoTarget(join(argoSopsDist, 'dev', 'kind'));
    const world = new ClusterWorld({ tools: ['argocd'] });
    const outcome = simulateArgoSync(
      world,
      [...target.objects, { ...target.credentials!, metadata: { ...target.credentials!.metadata, annotations: {} } }],
      5,
      { budget: 300 },
    );
    // THEN the first attempt fails (the operator has not created the namespace when the Secret is applied), and
    // the provisioning hook of that wave runs on meanwhile: the cluster only converges through a retry
    expect(outcome.attempts).toBeGreaterThan(1);
    expect(world.history()).toContain('apply /Secret/restate-dev/restate-object-storage refused: namespaces "restate-dev" not found');
    expect(world.history()).toMatch(/operation 1: Failed: one or more objects failed to apply/);
  });
});
