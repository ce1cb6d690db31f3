/**
 * A simulation of one Argo CD Application's automated sync against the real API server (./gitops-cluster.ts), with
 * the cluster's missing controllers played by the stand-ins of ./gitops-world.ts.
 *
 * Sent to the real server: the dry run (`kubectl apply --dry-run=client`, as gitops-engine's dry run runs in client
 * mode whatever the sync options, sync_context.go:1389-1396 at argoproj/argo-cd v3.5.1: kubectl resolves the kind
 * through discovery, so a kind not served fails it and a missing namespace does not); every apply (server-side,
 * `argocd-controller`, conflicts forced: the target's Application says `ServerSideApply=true`, sync_context.go:1281-1297,
 * 1439); the hook's deletion before it is created again (`BeforeHookCreation`); every read of a live object's health.
 * So the refusals (a namespace not found, a kind not served, an immutable field) are the server's, in its words.
 *
 * Still simulated, because Argo CD's application controller cannot be built here: argo-cd v3.5.1's go.mod replaces
 * its gitops-engine module with ./gitops-engine, and the module proxy does not serve that pseudo-version
 * (github.com/argoproj/argo-cd/gitops-engine@v0.7.1-0.20250908182407-97ad5b59a627: "403 Forbidden ... not
 * available", checked with `go mod download` on 2026-12-07). The rules kept, each from gitops-engine/pkg/sync/ at v3.5.1:
 *
 * - a kind the server does not serve fails the operation at the dry run unless the object says
 *   SkipDryRunOnMissingResource=true or its CRD is part of the sync (sync_context.go:1043-1094);
 * - tasks ordered by phase (PreSync, Sync, PostSync), wave, then kind (sync_tasks.go:85-107); hooks take their phase
 *   from `argocd.argoproj.io/hook`, resources are in Sync;
 * - running tasks are updated first: a hook by its Job's outcome, a resource by its health (no health = done,
 *   Healthy = done, Degraded = failed, anything else = still running; sync_context.go:540-571);
 * - with more than one phase or wave, any running task makes the operation wait; a running hook always does
 *   (573-595); a completed but failed task fails the operation (631-636);
 * - the next (phase, wave) is applied as a whole; an apply error fails the operation (after its running hooks
 *   ended, 683-701); the last wave without hooks succeeds at once, without waiting for health (702-715);
 * - a failed operation is retried `syncPolicy.retry.limit` times (the backoff is not waited for: the next attempt
 *   runs after a few ticks).
 *
 * Health comes from the Lua checks synth writes into argocd-cm (run in a real Lua 5.1 VM) for the kinds they
 * cover, and from Argo CD's built-in rules for the others that matter here (gitops-engine/pkg/health/:
 * health_deployment.go, health_job.go; a CRD is Healthy once applied, as ensureCRDReady waited for it), each read
 * from the object as the real server holds it, with the status the real controllers or the stand-ins wrote.
 */
import { applicationHealthLua, restateClusterHealthLua } from '../../lib/stack/gitops/health-checks';
import { type ClusterWorld, deploymentHealthy, keyOf, type Manifest } from './gitops-world';
import { runHealthCheck } from './lua51';

const PHASES = ['PreSync', 'Sync', 'PostSync'];
// The start of Argo CD's kind order (sync_tasks.go:27-62); kinds not listed (custom resources) come last.
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const kindRank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) - KIND_ORDER.length : 0);

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** Health of a live object as Argo CD assesses it, or undefined for a kind without health. */
export function argoHealth(live: Manifest): HealthStatus | undefined {
  switch (live.kind) {
    case 'RestateCluster':
      return runHealthCheck(restateClusterHealthLua(), live).status as HealthStatus;
    case 'Application':
      return runHealthCheck(applicationHealthLua(), live).status as HealthStatus;
    case 'Deployment':
      return deploymentHealthy(live) ? 'Healthy' : 'Progressing';
    case 'CustomResourceDefinition':
      return 'Healthy';
    case 'Job': {
      // health_job.go: a Complete condition is Healthy, a Failed one Degraded, else Progressing.
      const done = (type: string) => (live.status?.conditions ?? []).some((c: Manifest) => c.type === type && c.status === 'True');
      return done('Complete') ? 'Healthy' : done('Failed') ? 'Degraded' : 'Progressing';
    }
    default:
      return undefined;
  }
}

interface Task {
  readonly object: Manifest;
  readonly phase: string;
  readonly wave: number;
  readonly hook: boolean;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  message?: string;
}

function tasksOf(objects: readonly Manifest[]): Task[] {
  const tasks = objects.map((object) => {
    const annotations = object.metadata?.annotations ?? {};
    const hook = typeof annotations['argocd.argoproj.io/hook'] === 'string';
    return {
      object,
      hook,
      phase: hook ? annotations['argocd.argoproj.io/hook'] : 'Sync',
      wave: Number(annotations['argocd.argoproj.io/sync-wave'] ?? '0'),
      state: 'pending' as Task['state'],
    };
  });
  return tasks.sort(
    (a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || a.wave - b.wave || kindRank(a.object.kind) - kindRank(b.object.kind),
  );
}

const syncOption = (object: Manifest, option: string) =>
  String(object.metadata?.annotations?.['argocd.argoproj.io/sync-options'] ?? '')
    .split(',')
    .includes(option);

export interface SyncOutcome {
  /** Succeeded, Failed (retries exhausted), or Stuck (still waiting when the budget ran out). */
  readonly phase: 'Succeeded' | 'Failed' | 'Stuck';
  /** Operations started (the first sync and its retries). */
  readonly attempts: number;
  /** What the operation said last ("waiting for …", the failure). */
  readonly message: string;
  /** (phase, wave) steps in the order they were applied, e.g. `Sync/-1`, over all attempts. */
  readonly applied: readonly string[];
  /** Ticks the sync took. */
  readonly ticks: number;
}

export interface SyncOptions {
  /** Ticks one operation may take before the simulation calls it stuck. */
  readonly budget?: number;
  /** Called every tick (other Applications syncing, a person provisioning by hand). */
  readonly everyTick?: () => void | Promise<void>;
}

/** Runs one operation; returns its phase and message. */
async function operation(
  world: ClusterWorld,
  objects: readonly Manifest[],
  applied: string[],
  options: Required<SyncOptions>,
): Promise<{ phase: 'Succeeded' | 'Failed' | 'Stuck'; message: string }> {
  const tasks = tasksOf(objects);
  const tick = async () => {
    await world.tick();
    await options.everyTick();
  };
  const crdsInSync = new Set(
    objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `${o.spec.group}/${o.spec.names.kind}`),
  );
  // Objects that may skip a missing kind are dry-run one by one; the others in one call first, one by one only
  // when that fails (to name the object).
  const mayskip = (object: Manifest) =>
    syncOption(object, 'SkipDryRunOnMissingResource=true') || crdsInSync.has(`${String(object.apiVersion).split('/')[0]}/${object.kind}`);
  const plain = tasks.filter((t) => !mayskip(t.object)).map((t) => t.object);
  const batchPassed =
    plain.length > 0 && (await world.cluster.dryRun({ apiVersion: 'v1', kind: 'List', items: plain }, 'client', '')) === undefined;
  for (const task of tasks) {
    const { object } = task;
    if (batchPassed && !mayskip(object)) continue;
    const failed = await world.cluster.dryRun(object, 'client', 'argocd-controller');
    if (!failed) continue;
    if (/no matches for kind/.test(failed) && mayskip(object)) continue;
    world.note(`Argo CD: dry run of ${keyOf(object)} failed: ${failed}`);
    return { phase: 'Failed', message: `one or more objects failed to apply (dry run): ${keyOf(object)}: ${failed}` };
  }
  const multiStep = new Set(tasks.map((t) => `${t.phase}/${t.wave}`)).size > 1;
  const last = tasks[tasks.length - 1]!;
  const liveOf = (task: Task) =>
    world.seen(task.object.apiVersion, task.object.kind, task.object.metadata.name, task.object.metadata.namespace);
  for (let spent = 0; spent < options.budget; spent += 1) {
    for (const task of tasks.filter((t) => t.state === 'running')) {
      const live = liveOf(task);
      if (!live) continue;
      const health = argoHealth(live);
      if (task.hook) {
        if (health === 'Healthy') task.state = 'succeeded';
        else if (health === 'Degraded') task.state = 'failed';
      } else if (health === undefined || health === 'Healthy') task.state = 'succeeded';
      else if (health === 'Degraded') {
        task.state = 'failed';
        task.message = `${keyOf(task.object)} is Degraded`;
      }
    }
    const running = tasks.filter((t) => (multiStep || t.hook) && t.state === 'running');
    if (running.length > 0) {
      const first = running[0]!;
      const message = `waiting for completion of ${first.hook ? 'hook' : 'health of'} ${keyOf(first.object)}${running.length > 1 ? ` and ${running.length - 1} more` : ''}`;
      if (spent === options.budget - 1) return { phase: 'Stuck', message };
      await tick();
      continue;
    }
    const failed = tasks.find((t) => t.state === 'failed');
    if (failed)
      return {
        phase: 'Failed',
        message: `one or more synchronization tasks completed unsuccessfully: ${failed.message ?? keyOf(failed.object)}`,
      };
    const pending = tasks.filter((t) => t.state === 'pending');
    if (pending.length === 0) return { phase: 'Succeeded', message: 'successfully synced (no more tasks)' };
    const { phase, wave } = pending[0]!;
    const step = pending.filter((t) => t.phase === phase && t.wave === wave);
    applied.push(`${phase}/${wave}`);
    let applyError: string | undefined;
    for (const task of step) {
      if (task.hook) await world.delete(task.object); // BeforeHookCreation
      const refused = await world.apply(task.object, 'Argo CD');
      if (refused) {
        task.state = 'failed';
        applyError ??= `${keyOf(task.object)}: ${refused}`;
      } else task.state = 'running';
    }
    if (applyError) {
      // The running hooks of the wave end first (a Job runs to its activeDeadlineSeconds), then the operation fails.
      while (step.some((t) => t.hook && t.state === 'running') && spent < options.budget) {
        await tick();
        spent += 1;
        for (const task of step.filter((t) => t.hook && t.state === 'running')) {
          const live = liveOf(task);
          const health = live ? argoHealth(live) : undefined;
          if (health === 'Healthy') task.state = 'succeeded';
          else if (health === 'Degraded') task.state = 'failed';
        }
      }
      return { phase: 'Failed', message: `one or more objects failed to apply: ${applyError}` };
    }
    if (step.includes(last) && !step.some((t) => t.hook) && tasks.every((t) => t.state !== 'pending')) {
      return { phase: 'Succeeded', message: 'successfully synced (all tasks run)' };
    }
    await tick();
  }
  return { phase: 'Stuck', message: 'budget spent' };
}

/** Syncs `objects` as an automated Application with `retryLimit` retries. */
export async function simulateArgoSync(
  world: ClusterWorld,
  objects: readonly Manifest[],
  retryLimit: number,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const resolved = { budget: options.budget ?? 300, everyTick: options.everyTick ?? (() => undefined) };
  const applied: string[] = [];
  const started = world.now;
  let attempts = 0;
  let result: { phase: 'Succeeded' | 'Failed' | 'Stuck'; message: string } = { phase: 'Failed', message: '' };
  while (attempts <= retryLimit) {
    attempts += 1;
    result = await operation(world, objects, applied, resolved);
    world.note(`Argo CD: operation ${attempts}: ${result.phase}: ${result.message}`);
    if (result.phase !== 'Failed') break;
    for (let i = 0; i < 3; i += 1) {
      await world.tick();
      await resolved.everyTick();
    }
  }
  return { phase: result.phase, attempts, message: result.message, applied, ticks: world.now - started };
}
