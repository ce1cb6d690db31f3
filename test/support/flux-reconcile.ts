/**
 * A simulation of Flux's kustomize-controller reconciling Kustomizations against the real API server
 * (./gitops-cluster.ts), with helm-controller, the operator and the kubelet played by the stand-ins of
 * ./gitops-world.ts.
 *
 * Sent to the real server, as fluxcd/pkg ssa v0.76.1 (kustomize-controller v1.9.4's) applies: the definitions stage
 * (CRDs, Namespaces) server-side first, waited for (manager_apply.go:347-392, ApplyAllStaged); then for each other
 * object a server-side dry run (dryRun=All, ownership forced, manager `kustomize-controller`, manager_apply.go:422-429),
 * every one of them before anything is applied (ApplyAll, 206-300), so a kind not served or a missing namespace fails
 * the whole Kustomization in the server's words; with `force: true`, an object whose dry run is refused as immutable
 * is deleted, waited for, and dry-run again (manager_apply.go:253-281, 522-533); then the server-side apply. Every
 * health check reads the object as the server holds it, rated as kstatus rates it (fluxcd/cli-utils
 * pkg/kstatus/status/core.go at v1.2.1; kustomize-controller v1.9.4 pins v1.2.2).
 *
 * Still simulated: kustomize-controller itself, and source-controller's checkout (the GitRepository is the test's
 * folder). Their modules do resolve from the proxy (fluxcd/kustomize-controller@v1.9.4 and its api@v1.9.4, checked
 * with `go mod download` on 2026-12-07; its go.mod's `replace ... => ./api` is undone by a module of our own, as
 * lib/control-plane/go.mod does for Kubernetes), so the controller could be built here, but it reconciles only an
 * artifact that source-controller fetched from a Git or OCI server and serves over HTTP, and neither that server nor
 * source-controller is built here. helm-controller v1.6.3 cannot be built from the proxy: its go.mod replaces
 * helm.sh/helm/v4 with github.com/fluxcd/helm/v4 v4.2.4-flux.1, which the proxy does not serve ("403 Forbidden").
 * The rules kept, from https://fluxcd.io/flux/components/kustomize/kustomizations/ and kustomize-controller v1.9.4:
 *
 * - a Kustomization reconciles only once every `dependsOn` Kustomization is Ready, else it is retried after
 *   `retryInterval` (#dependencies);
 * - it builds its path (here: the step folder's kustomization.yaml and the files it lists, which Flux allows
 *   outside the folder: fluxcd/pkg kustomize/v1.39.0 kustomize_generator.go:697-700, LoadRestrictionsNone);
 * - SOPS-encrypted files are decrypted only with `spec.decryption`, otherwise the apply is refused; the decryption
 *   itself is not done (no private key here): the `sops` metadata is dropped and the values stay ciphertext;
 * - it is Ready once every `healthChecks` object is Current, failed after `timeout` (or when one is Failed) and
 *   then retried after `retryInterval`.
 *
 * One tick is 10 seconds of the Kustomizations' intervals; the real controllers act in between, in real time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { firstLine, isEstablished } from './gitops-cluster';
import { type ClusterWorld, deploymentHealthy, keyOf, loadManifests, type Manifest } from './gitops-world';

const TICK_SECONDS = 10;
const MANAGER = 'kustomize-controller';
function ticksOf(duration: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(duration);
  if (!match) throw new Error(`unsupported duration ${duration}`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return Math.max(1, Math.round(seconds / TICK_SECONDS));
}

export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'NotFound';

const hasCondition = (o: Manifest, type: string) =>
  (o.status?.conditions ?? []).some((c: Manifest) => c.type === type && c.status === 'True');

/** kstatus of an object as the server holds it, for the kinds the stack's health checks name (core.go at v1.2.1). */
export async function kstatus(
  world: ClusterWorld,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
): Promise<KStatus> {
  const live = await world.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
  if (!live) return 'NotFound';
  switch (ref.kind) {
    case 'CustomResourceDefinition':
      return isEstablished(live) ? 'Current' : 'InProgress'; // crdConditions (core.go:601)
    case 'Namespace':
      return live.status?.phase === 'Active' ? 'Current' : 'InProgress';
    case 'Deployment':
      return deploymentHealthy(live) ? 'Current' : 'InProgress'; // deploymentConditions (core.go:158): Argo CD's counts
    case 'StatefulSet': {
      // stsConditions (core.go:83-156): every replica created, Ready and current
      const replicas = live.spec.replicas ?? 1;
      const s = live.status ?? {};
      const current = (s.replicas ?? 0) === replicas && (s.readyReplicas ?? 0) >= replicas && (s.currentReplicas ?? 0) >= replicas;
      return current && s.currentRevision === s.updateRevision ? 'Current' : 'InProgress';
    }
    case 'Job':
      // jobConditions (core.go:533): Complete is Current, Failed is Failed
      return hasCondition(live, 'Complete') ? 'Current' : hasCondition(live, 'Failed') ? 'Failed' : 'InProgress';
    default:
      // a custom resource with status conditions: Ready decides (HelmRelease)
      return hasCondition(live, 'Ready') ? 'Current' : 'InProgress';
  }
}

interface State {
  readonly kustomization: Manifest;
  ready: boolean;
  nextAttempt: number;
  /** When the current attempt's apply succeeded (health checks running since). */
  appliedAt?: number;
  message: string;
}

export interface FluxOutcome {
  /** Kustomization names in the order they turned Ready. */
  readonly readyOrder: readonly string[];
  /** The last message of each Kustomization that never turned Ready. */
  readonly notReady: Readonly<Record<string, string>>;
  readonly ticks: number;
}

/**
 * Reconciles `kustomizations` until all are Ready or `budget` ticks passed. `repoRoot` is where their `spec.path`
 * starts (the GitRepository's checkout).
 */
export async function simulateFlux(
  world: ClusterWorld,
  kustomizations: readonly Manifest[],
  repoRoot: string,
  budget = 600,
  /** The files a Kustomization builds, where they are not its folder's kustomization.yaml (a generated one). */
  filesOf: (kustomization: Manifest) => string[] | undefined = () => undefined,
): Promise<FluxOutcome> {
  const states = new Map<string, State>(
    kustomizations.map((k) => [k.metadata.name, { kustomization: k, ready: false, nextAttempt: 0, message: 'not reconciled yet' }]),
  );
  const readyOrder: string[] = [];
  for (let tick = 0; tick < budget && readyOrder.length < states.size; tick += 1) {
    for (const state of states.values()) {
      if (state.ready || world.now < state.nextAttempt) continue;
      const spec = state.kustomization.spec;
      const retry = ticksOf(spec.retryInterval ?? spec.interval);
      if (state.appliedAt === undefined) {
        const waiting = (spec.dependsOn ?? [])
          .filter((d: { name: string }) => !states.get(d.name)?.ready)
          .map((d: { name: string }) => d.name);
        if (waiting.length > 0) {
          state.message = `dependency not ready: ${waiting.join(', ')}`;
          state.nextAttempt = world.now + retry;
          continue;
        }
        const failure = await applyAll(world, state.kustomization, repoRoot, filesOf(state.kustomization));
        if (failure) {
          state.message = failure;
          state.nextAttempt = world.now + retry;
          continue;
        }
        state.appliedAt = world.now;
      }
      const checks: Array<{ apiVersion: string; kind: string; name: string; namespace?: string }> = spec.healthChecks ?? [];
      const statuses: Array<readonly [(typeof checks)[number], KStatus]> = [];
      for (const check of checks) statuses.push([check, await kstatus(world, check)]);
      const failed = statuses.find(([, status]) => status === 'Failed');
      const pending = statuses.filter(([, status]) => status !== 'Current');
      if (pending.length === 0) {
        state.ready = true;
        state.message = 'Applied revision';
        readyOrder.push(state.kustomization.metadata.name);
        world.note(`Flux: Kustomization ${state.kustomization.metadata.name} Ready`);
      } else if (failed || world.now - state.appliedAt >= ticksOf(spec.timeout ?? spec.interval)) {
        state.message = `health check failed: ${pending.map(([c, s]) => `${c.kind}/${c.name} ${s}`).join(', ')}`;
        world.note(`Flux: Kustomization ${state.kustomization.metadata.name}: ${state.message}`);
        state.appliedAt = undefined;
        state.nextAttempt = world.now + retry;
      } else {
        state.message = `waiting for ${pending.map(([c, s]) => `${c.kind}/${c.name} ${s}`).join(', ')}`;
      }
    }
    await world.tick();
  }
  const notReady = Object.fromEntries([...states.values()].filter((s) => !s.ready).map((s) => [s.kustomization.metadata.name, s.message]));
  return { readyOrder, notReady, ticks: world.now };
}

/** The objects a Kustomization's path builds to. */
export function buildPath(kustomization: Manifest, repoRoot: string, listed?: string[]): Array<{ object: Manifest; encrypted: boolean }> {
  const folder = join(repoRoot, kustomization.spec.path);
  const kustomizationFile = join(folder, 'kustomization.yaml');
  const files =
    listed ??
    (existsSync(kustomizationFile)
      ? (parse(readFileSync(kustomizationFile, 'utf8')) as { resources: string[] }).resources.map((r) => join(folder, r))
      : []);
  return files.flatMap((file) => loadManifests(file).map((object) => ({ object, encrypted: object.sops !== undefined })));
}

/** One apply attempt; the failure, or undefined when everything was applied. */
async function applyAll(world: ClusterWorld, kustomization: Manifest, repoRoot: string, listed?: string[]): Promise<string | undefined> {
  const built = buildPath(kustomization, repoRoot, listed);
  const by = `Flux ${kustomization.metadata.name}`;
  for (const { object, encrypted } of built) {
    if (encrypted && !kustomization.spec.decryption) return `${keyOf(object)}: SOPS-encrypted and the Kustomization has no decryption`;
  }
  const decrypted = built.map(({ object }) => {
    const { sops: _sops, ...rest } = object;
    return rest;
  });
  const definitions = decrypted.filter((o) => ['CustomResourceDefinition', 'Namespace', 'ClusterRole'].includes(o.kind));
  for (const object of definitions) {
    const refused = await world.apply(object, by, MANAGER);
    if (refused) return `${keyOf(object)}: ${refused}`;
  }
  const crds = definitions.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length > 0) await world.cluster.installCrds(crds as Array<{ kind: string; metadata: { name: string } }>);
  const rest = decrypted.filter((o) => !definitions.includes(o));
  for (const object of rest) {
    let refused = await world.cluster.dryRun(object, 'server', MANAGER);
    if (refused && /field is immutable/.test(refused) && kustomization.spec.force === true) {
      world.note(`${by}: ${keyOf(object)} immutable, recreated (force)`);
      await world.delete(object);
      refused = await world.cluster.dryRun(object, 'server', MANAGER);
    }
    if (refused) {
      world.note(`${by}: dry run of ${keyOf(object)} failed: ${refused}`);
      return `dry run failed: ${keyOf(object)}: ${refused}`;
    }
  }
  for (const object of rest) {
    const refused = await world.apply(object, by, MANAGER);
    if (refused) return `${keyOf(object)}: ${firstLine(refused)}`;
  }
  return undefined;
}
