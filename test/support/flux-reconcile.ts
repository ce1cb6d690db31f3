/**
 * A simulation of Flux's kustomize-controller reconciling Kustomizations over a model cluster:
 *
 * - a Kustomization reconciles only once every `dependsOn` Kustomization is Ready, else it is retried after
 *   `retryInterval` (https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies);
 * - it builds its path (here: the step folder's kustomization.yaml and the files it lists, which Flux allows
 *   outside the folder: fluxcd/pkg kustomize/v1.39.0 kustomize_generator.go:697-700, LoadRestrictionsNone);
 * - SOPS-encrypted files are decrypted only with `spec.decryption`, otherwise the apply is refused;
 * - it applies server-side in stages: CRDs and Namespaces first, then a dry run of everything else, and only if
 *   every object passes the dry run, the apply (a kind not yet served, or a missing namespace, fails the whole
 *   Kustomization and nothing of it is applied);
 * - it is Ready once every `healthChecks` object is Current by kstatus, failed after `timeout` (or when one is
 *   Failed) and then retried after `retryInterval`.
 *
 * One tick is 10 seconds of the model cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type ClusterWorld, keyOf, loadManifests, type Manifest } from './gitops-world';

const TICK_SECONDS = 10;

function ticksOf(duration: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(duration);
  if (!match) throw new Error(`unsupported duration ${duration}`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return Math.max(1, Math.round(seconds / TICK_SECONDS));
}

export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'NotFound';

/** kstatus of a live object, for the kinds the stack's health checks name. */
export function kstatus(world: ClusterWorld, ref: { apiVersion: string; kind: string; name: string; namespace?: string }): KStatus {
  if (ref.kind === 'CustomResourceDefinition') {
    const crd = world.get(ref.apiVersion, ref.kind, ref.name);
    if (!crd) return 'NotFound';
    return world.serves(`${crd.spec.group}/v1`, crd.spec.names.kind) ? 'Current' : 'InProgress';
  }
  if (ref.kind === 'Namespace') return world.namespaceExists(ref.name) ? 'Current' : 'NotFound';
  const live = world.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
  if (!live) return 'NotFound';
  switch (ref.kind) {
    case 'Deployment':
      return live.status?.availableReplicas === live.spec.replicas ? 'Current' : 'InProgress';
    case 'StatefulSet':
      return live.status?.readyReplicas === live.spec.replicas ? 'Current' : 'InProgress';
    case 'Job':
      return live.status?.succeeded ? 'Current' : live.status?.failed ? 'Failed' : 'InProgress';
    case 'HelmRelease':
      return live.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? 'Current' : 'InProgress';
    default:
      return 'Current';
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
export function simulateFlux(
  world: ClusterWorld,
  kustomizations: readonly Manifest[],
  repoRoot: string,
  budget = 600,
  /** The files a Kustomization builds, where they are not its folder's kustomization.yaml (a generated one). */
  filesOf: (kustomization: Manifest) => string[] | undefined = () => undefined,
): FluxOutcome {
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
        const failure = applyAll(world, state.kustomization, repoRoot, filesOf(state.kustomization));
        if (failure) {
          state.message = failure;
          state.nextAttempt = world.now + retry;
          continue;
        }
        state.appliedAt = world.now;
      }
      const checks: Array<{ apiVersion: string; kind: string; name: string; namespace?: string }> = spec.healthChecks ?? [];
      const statuses = checks.map((check) => [check, kstatus(world, check)] as const);
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
    world.tick();
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
function applyAll(world: ClusterWorld, kustomization: Manifest, repoRoot: string, listed?: string[]): string | undefined {
  const built = buildPath(kustomization, repoRoot, listed);
  const by = `Flux ${kustomization.metadata.name}`;
  for (const { object, encrypted } of built) {
    if (encrypted && !kustomization.spec.decryption) return `${keyOf(object)}: SOPS-encrypted and the Kustomization has no decryption`;
  }
  const decrypted = built.map(({ object }) => {
    const { sops: _sops, ...rest } = object;
    return rest;
  });
  const first = decrypted.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace');
  for (const object of first) {
    const refused = world.apply(object, by);
    if (refused) return `${keyOf(object)}: ${refused}`;
  }
  const rest = decrypted.filter((o) => !first.includes(o));
  for (const object of rest) {
    const refused = world.refusal(object);
    if (refused) {
      world.note(`${by}: dry run of ${keyOf(object)} failed: ${refused}`);
      return `dry run failed: ${keyOf(object)}: ${refused}`;
    }
  }
  for (const object of rest) world.apply(object, by);
  return undefined;
}
