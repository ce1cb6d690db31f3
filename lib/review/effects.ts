import { podName } from '../target/operator-names';
import { RESTATE_CLUSTER_KIND } from '../target/restate-cluster';
import { type FieldChange, objectLabel, type ObjectChange } from './object-diff';

/**
 * What a change does to a running cluster, each stated from facts of operator 1.7.4 and Restate 1.4–1.7 (the
 * sources are in docs/plan.md). Kinds are stable names for tools reading `--format json`.
 */
export type EffectKind =
  | 'rolling-restart'
  | 'partitions-unchanged'
  | 'replication-step'
  | 'scale-out'
  | 'scale-in'
  | 'storage-grows'
  | 'refused'
  | 'data-migration'
  | 'warning'
  | 'new-target'
  | 'removed-target'
  | 'new-cluster'
  | 'cluster-deleted'
  | 'operator-update'
  | 'provisioning-rerun'
  | 'in-place';

export interface Effect {
  readonly kind: EffectKind;
  /** `refuse`: synth (or the API server) will not take the change as it is; `warn`: it risks availability or data. */
  readonly severity: 'refuse' | 'warn' | 'info';
  /** One or more sentences: what happens, why, what to do. */
  readonly summary: string;
  /** The change rule or guard that found it (`storage-shrink`, a `checkTargetChange` rule name). */
  readonly rule?: string;
}

type Cluster = Readonly<Record<string, any>>;

function replicasOf(cluster: Cluster | undefined): number {
  const replicas = cluster?.spec?.compute?.replicas;
  return typeof replicas === 'number' ? replicas : 1; // the CRD's default
}

/** Pods `from` … `to - 1` by name: `restate-3`, `restate-3, restate-4`, `restate-0 … restate-4`. */
function pods(to: number, from = 0): string {
  if (to - from <= 2) return Array.from({ length: to - from }, (_, i) => podName(from + i)).join(', ');
  return `${podName(from)} … ${podName(to - 1)}`;
}

const show = (value: unknown) => (value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value));

/** Why the pod template of the operator's StatefulSet changes, from the RestateCluster fields that changed. */
function podTemplateReasons(fields: readonly FieldChange[]): string[] {
  const reasons: string[] = [];
  const has = (test: (path: string) => boolean) => fields.some((field) => test(field.path));
  const image = fields.find((field) => field.path === 'spec.compute.image');
  if (image) reasons.push(`the image changes (${show(image.before)} → ${show(image.after)})`);
  if (has((path) => path.startsWith('spec.config')))
    reasons.push(
      'the server config changes (the operator names its ConfigMap restate-config-<hash>, so a new config is a new pod template)',
    );
  const compute = [
    ...new Set(
      fields
        .map((field) => /^spec\.compute\.([A-Za-z]+)/.exec(field.path)?.[1])
        .filter((key) => key && key !== 'image' && key !== 'replicas'),
    ),
  ];
  if (compute.length > 0) reasons.push(`spec.compute.${compute.join(', spec.compute.')} change`);
  if (has((path) => path.startsWith('metadata.labels') || path.startsWith('metadata.annotations'))) {
    reasons.push("the RestateCluster's labels or annotations change (the operator copies every one of them onto the pod template)");
  }
  if (has((path) => path === 'spec.clusterName')) reasons.push('spec.clusterName changes (RESTATE_CLUSTER_NAME of every pod)');
  return reasons;
}

function configChange(fields: readonly FieldChange[], key: string): FieldChange | undefined {
  return fields.find((field) => field.path === `spec.config#${key}`);
}

/** The effects of a change to a RestateCluster that exists before and after. */
function clusterEffects(change: ObjectChange): Effect[] {
  const effects: Effect[] = [];
  const [before, after] = [change.before!, change.after!];
  const running = replicasOf(before);
  const reasons = podTemplateReasons(change.fields);
  if (reasons.length > 0) {
    effects.push({
      kind: 'rolling-restart',
      severity: 'warn',
      summary:
        `Rolling restart of all ${running} pod${running === 1 ? '' : 's'} (${pods(running)}), one at a time from the highest ordinal: ${reasons.join('; ')}. ` +
        'Under operator 1.7.4 the readiness probe (/health on 9070) has no initial delay: a restarted pod counts as Ready within about a second ' +
        'while its partitions need 15–20 s, so the rollout can outrun them. Measured on a 3-node cluster: about 40 s of unavailability. ' +
        'Roll at a quiet time (operator 1.8.0+ waits 30 s).',
    });
  }
  const partitions = configChange(change.fields, 'default-num-partitions');
  if (partitions) {
    effects.push({
      kind: 'partitions-unchanged',
      severity: 'warn',
      summary:
        `default-num-partitions ${show(partitions.before)} → ${show(partitions.after)} is used only when a cluster is provisioned: ` +
        `a running cluster keeps the ${show(partitions.before)} partitions it was provisioned with (only a new cluster gets ${show(partitions.after)}).`,
    });
  }
  const replication = configChange(change.fields, 'default-replication');
  if (replication) {
    effects.push({
      kind: 'replication-step',
      severity: 'warn',
      summary:
        `default-replication ${show(replication.before)} → ${show(replication.after)} is used only at provisioning: a running cluster keeps its replication ` +
        `until you run \`restatectl config set --log-replication ${show(replication.after)} --partition-replication ${show(replication.after)}\` ` +
        '(in pod restate-0, once the new pods run; about 20 s).',
    });
  }
  const scaled = replicasOf(after);
  if (scaled > running) {
    effects.push({
      kind: 'scale-out',
      severity: 'info',
      summary:
        `Scale out ${running} → ${scaled}: the new pod${scaled - running === 1 ? '' : 's'} ${pods(scaled, running)} ` +
        `join${scaled - running === 1 ? 's' : ''} by ${scaled - running === 1 ? 'itself' : 'themselves'} ` +
        '(the metadata cluster within about a second, partition leadership and log nodesets within 20–30 s). Replication does not follow the new size.',
    });
  } else if (scaled < running) {
    effects.push({
      kind: 'scale-in',
      severity: 'warn',
      summary:
        `Scale in ${running} → ${scaled}: stopping ${pods(running, scaled)} without draining ${running - scaled === 1 ? 'it' : 'them'} first breaks the cluster ` +
        '(metadata keeps the removed members, logs whose nodeset held them cannot be sealed). Drain, set read-only and remove them from the metadata cluster first; ' +
        'their PVCs stay and must be deleted.',
    });
  }
  const [bytesBefore, bytesAfter] = [before.spec?.storage?.storageRequestBytes, after.spec?.storage?.storageRequestBytes];
  if (typeof bytesBefore === 'number' && typeof bytesAfter === 'number' && bytesAfter > bytesBefore) {
    effects.push({
      kind: 'storage-grows',
      severity: 'info',
      summary: `Volumes grow from ${bytesBefore} to ${bytesAfter} bytes: the CRD allows growth; the PVCs expand only where their StorageClass allows volume expansion.`,
    });
  }
  return effects;
}

/** The cluster's name, PVCs and whether Argo CD is told to keep it, for a RestateCluster that goes away. */
function clusterDeletion(cluster: Cluster): string {
  const name = String(cluster.metadata?.name);
  const n = replicasOf(cluster);
  const options = String(cluster.metadata?.annotations?.['argocd.argoproj.io/sync-options'] ?? '');
  const kept = /(^|,)\s*Prune=false/.test(options) && /(^|,)\s*Delete=false/.test(options);
  return (
    `Deleting RestateCluster ${name} makes the operator delete the namespace ${name} it owns, with every PVC in it (storage-restate-0 … storage-restate-${n - 1}): ` +
    "all of the cluster's data, with no way back. Delete it while the operator still runs, or its finalizer blocks the deletion." +
    (kept
      ? ' Argo CD will not do it (the object carries Prune=false,Delete=false): the cluster keeps running until someone deletes it by hand.'
      : '')
  );
}

/** The effects of every object change of a target that exists before and after. */
export function objectEffects(changes: readonly ObjectChange[]): Effect[] {
  const effects: Effect[] = [];
  for (const change of changes) {
    const label = objectLabel(change.id);
    if (change.id.kind === RESTATE_CLUSTER_KIND) {
      if (change.change === 'changed') effects.push(...clusterEffects(change));
      else if (change.change === 'removed')
        effects.push({ kind: 'cluster-deleted', severity: 'warn', summary: clusterDeletion(change.before!) });
      else {
        effects.push({
          kind: 'new-cluster',
          severity: 'info',
          summary: `A new RestateCluster ${change.id.name}: the operator creates the namespace ${change.id.name}, ${replicasOf(change.after)} pods and their PVCs; it serves once it is provisioned.`,
        });
      }
      continue;
    }
    if (change.file.startsWith('0000-')) {
      effects.push({
        kind: 'operator-update',
        severity: 'info',
        summary:
          `${label} ${change.change}: the operator is updated in place. The Restate pods keep running; ` +
          'a new operator version may reconcile their StatefulSet differently (read its release notes).',
      });
    } else if (change.id.kind === 'Job') {
      effects.push({
        kind: 'provisioning-rerun',
        severity: 'info',
        summary:
          `${label} ${change.change}: a Job's pod template is immutable, so promote deletes the previous run and applies this one. ` +
          'Provisioning is idempotent: a provisioned cluster stays as it is.',
      });
    } else {
      effects.push({
        kind: 'in-place',
        severity: 'info',
        summary: `${label} ${change.change === 'changed' ? 'is updated in place' : change.change}; the Restate pods are not restarted by it.`,
      });
    }
  }
  return effects;
}

/** The effect of a target that is not committed yet. */
export function newTargetEffect(target: string, changes: readonly ObjectChange[]): Effect {
  const cluster = changes.find((change) => change.id.kind === RESTATE_CLUSTER_KIND)?.after;
  const name = cluster ? String(cluster.metadata?.name) : '(none)';
  return {
    kind: 'new-target',
    severity: 'info',
    summary:
      `New target ${target}: its first rollout installs the operator delivery, creates RestateCluster ${name} (the operator creates the namespace ${name} and ` +
      `${replicasOf(cluster)} PVCs) and provisions it. No running cluster is touched.`,
  };
}

/** The effect of a committed target that the change removes. */
export function removedTargetEffect(target: string, changes: readonly ObjectChange[]): Effect {
  const cluster = changes.find((change) => change.id.kind === RESTATE_CLUSTER_KIND)?.before;
  const others = changes.filter((change) => change.id.kind !== RESTATE_CLUSTER_KIND).map((change) => objectLabel(change.id));
  return {
    kind: 'removed-target',
    severity: 'warn',
    summary:
      `Target ${target} is removed from the committed output. ` +
      (cluster ? clusterDeletion(cluster) : 'It holds no RestateCluster.') +
      (others.length > 0 ? ` Also goes: ${others.join(', ')}; remove the operator only after the cluster is gone.` : ''),
  };
}
