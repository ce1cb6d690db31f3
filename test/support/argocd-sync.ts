/**
 * A simulation of one Argo CD Application's automated sync over a model cluster, following gitops-engine's
 * sync loop as vendored in argoproj/argo-cd at v3.5.1 (gitops-engine/pkg/sync/sync_context.go):
 *
 * - one client-side dry run of every object first; a kind the API server does not serve fails the operation
 *   unless the object says SkipDryRunOnMissingResource=true or its CRD is part of the sync (1067-1090); a missing
 *   namespace does not (client dry run, 1281-1287);
 * - tasks ordered by phase (PreSync, Sync, PostSync), wave, then kind (sync_tasks.go:85-107); hooks take their phase
 *   from `argocd.argoproj.io/hook`, resources are in Sync;
 * - running tasks are updated first: a hook by its Job's outcome, a resource by its health (no health = done,
 *   Healthy = done, Degraded = failed, anything else = still running; 546-573);
 * - with more than one phase or wave, any running task makes the operation wait; a running hook always does
 *   (576-595); a completed but failed task fails the operation (631-636);
 * - the next (phase, wave) is applied as a whole; an apply error fails the operation (after its running hooks
 *   ended); the last wave without hooks succeeds at once, without waiting for health (713-721);
 * - a failed operation is retried `syncPolicy.retry.limit` times (backoff not modelled: the next attempt runs
 *   after a few ticks).
 *
 * Health comes from the Lua checks synth writes into argocd-cm (run in a real Lua 5.1 VM) for the kinds they
 * cover, and from Argo CD's built-in rules for the others that matter here (Deployment available, CRD Established).
 */
import { applicationHealthLua, restateClusterHealthLua } from '../../lib/stack/gitops/health-checks';
import { type ClusterWorld, keyOf, type Manifest } from './gitops-world';
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
      return live.status?.availableReplicas === live.spec?.replicas ? 'Healthy' : 'Progressing';
    case 'CustomResourceDefinition':
      return 'Healthy';
    case 'Job':
      return live.status?.succeeded ? 'Healthy' : live.status?.failed ? 'Degraded' : 'Progressing';
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
}

export interface SyncOptions {
  /** Ticks one operation may take before the simulation calls it stuck. */
  readonly budget?: number;
  /** Called every tick (other Applications syncing, a person provisioning by hand). */
  readonly everyTick?: () => void;
}

/** Runs one operation; returns its phase and message. */
function operation(
  world: ClusterWorld,
  objects: readonly Manifest[],
  applied: string[],
  options: Required<SyncOptions>,
): { phase: 'Succeeded' | 'Failed' | 'Stuck'; message: string } {
  const tasks = tasksOf(objects);
  const tick = () => {
    world.tick();
    options.everyTick();
  };
  const crdsInSync = new Set(
    objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `${o.spec.group}/${o.spec.names.kind}`),
  );
  for (const task of tasks) {
    const { object } = task;
    if (world.serves(object.apiVersion, object.kind)) continue;
    const group = String(object.apiVersion).split('/')[0];
    if (syncOption(object, 'SkipDryRunOnMissingResource=true') || crdsInSync.has(`${group}/${object.kind}`)) continue;
    return {
      phase: 'Failed',
      message: `one or more objects failed to apply (dry run): ${keyOf(object)}: no matches for kind ${object.kind}`,
    };
  }
  const multiStep = new Set(tasks.map((t) => `${t.phase}/${t.wave}`)).size > 1;
  const last = tasks[tasks.length - 1]!;
  for (let spent = 0; spent < options.budget; spent += 1) {
    for (const task of tasks.filter((t) => t.state === 'running')) {
      const live = world.get(task.object.apiVersion, task.object.kind, task.object.metadata.name, task.object.metadata.namespace);
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
      tick();
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
      if (task.hook) world.delete(task.object); // BeforeHookCreation
      const refused = world.apply(task.object, 'Argo CD');
      if (refused) {
        task.state = 'failed';
        applyError ??= `${keyOf(task.object)}: ${refused}`;
      } else task.state = 'running';
    }
    if (applyError) {
      // The running hooks of the wave end first (as they will: a Job runs to its deadline), then the operation fails.
      while (step.some((t) => t.hook && t.state === 'running') && spent < options.budget) {
        tick();
        spent += 1;
        for (const task of step.filter((t) => t.hook && t.state === 'running')) {
          const live = world.get(task.object.apiVersion, task.object.kind, task.object.metadata.name, task.object.metadata.namespace);
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
    tick();
  }
  return { phase: 'Stuck', message: 'budget spent' };
}

/** Syncs `objects` as an automated Application with `retryLimit` retries. */
export function simulateArgoSync(
  world: ClusterWorld,
  objects: readonly Manifest[],
  retryLimit: number,
  options: SyncOptions = {},
): SyncOutcome {
  const resolved = { budget: options.budget ?? 600, everyTick: options.everyTick ?? (() => undefined) };
  const applied: string[] = [];
  let attempts = 0;
  let result: { phase: 'Succeeded' | 'Failed' | 'Stuck'; message: string } = { phase: 'Failed', message: '' };
  while (attempts <= retryLimit) {
    attempts += 1;
    result = operation(world, objects, applied, resolved);
    world.note(`Argo CD: operation ${attempts}: ${result.phase}: ${result.message}`);
    if (result.phase !== 'Failed') break;
    for (let i = 0; i < 3; i += 1) {
      world.tick();
      resolved.everyTick();
    }
  }
  return { phase: result.phase, attempts, message: result.message, applied };
}
