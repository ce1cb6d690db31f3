import { ChartIds } from '../target-folder/charts';
import { ARGOCD_FOLDER, isSynthFolder, TARGET_FILE } from '../target-folder/files';
import { podName } from '../target-folder/operator-names';
import { locationOf, RESTATE_CLUSTER_KIND } from '../target-folder/restate-cluster';
import {
  BUDGET_CONFIG,
  BUDGET_KEYS,
  type Delivery,
  OPERATOR_FEATURES,
  type OperatorVersion,
  type Provisioner,
  serverDefault,
  serverVersion,
  showBytes,
} from '../values';
import { type FieldChange, objectLabel, type ObjectChange } from './object-diff';

/**
 * What a change does to a running cluster, each stated from facts of operators 1.7.4 and 2.8.1 and Restate 1.4–1.7
 * (the sources are in docs/plan.md). Kinds are stable names for tools reading `--format json`.
 */
export type EffectKind =
  | 'rolling-restart'
  | 'partitions-unchanged'
  | 'replication-step'
  | 'memory-budgets'
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
  | 'pod-security'
  | 'provisioning-rerun'
  | 'in-place'
  | 'gitops-entry'
  | 'locations';

export interface Effect {
  readonly kind: EffectKind;
  /** `refuse`: synth (or the API server) will not take the change as it is; `warn`: it risks availability or data. */
  readonly severity: 'refuse' | 'warn' | 'info';
  /** One or more sentences: what happens, why, what to do. */
  readonly summary: string;
  /** The change rule or guard that found it (`storage-shrink`, a `checkTargetChange` rule name). */
  readonly rule?: string;
}

/** What plan needs to know of a target besides its objects, from its values after the change. */
export interface TargetFacts {
  /** `<environment>/<provider>`. */
  readonly target: string;
  readonly operatorVersion: OperatorVersion;
  /**
   * Who provisions the cluster: our Job (`job`), the operator (`operator`, 2.8.1's `spec.cluster.autoProvision`), the
   * cluster itself (`self`: object-store metadata, `auto-provision = true`), or a person (`manual`: `mise run provision`,
   * or promote's provisioning step).
   */
  readonly provisioner: Provisioner | 'self' | 'manual';
  readonly delivery: Delivery;
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

/**
 * A change of the server's memory budgets (docs/memory.md): the server reads them only when it starts, so they take
 * effect as the pods roll. Unset stands for the server's own default of its version.
 */
function memoryBudgetEffect(fields: readonly FieldChange[], before: Cluster, after: Cluster): Effect | undefined {
  const versionOf = (cluster: Cluster) => serverVersion(String(cluster.spec?.compute?.image ?? ''));
  const changes = BUDGET_KEYS.flatMap((key) => {
    const path = BUDGET_CONFIG[key].path;
    const bytes = (value: unknown, cluster: Cluster) => {
      if (typeof value === 'number') return showBytes(value);
      const version = versionOf(cluster);
      return version
        ? `(the server's default, ${showBytes(serverDefault(key, version))} at ${version.join('.')})`
        : "(the server's default)";
    };
    // The change may be reported on a table above the key (`admin` appears or goes as a whole).
    for (let depth = path.length; depth > 0; depth--) {
      const field = configChange(fields, path.slice(0, depth).join('.'));
      if (!field) continue;
      const dig = (value: unknown) => path.slice(depth).reduce<any>((table, k) => table?.[k], value);
      const [was, is] = [dig(field.before), dig(field.after)];
      return was === is ? [] : [`${path.join('.')} ${bytes(was, before)} → ${bytes(is, after)}`];
    }
    return [];
  });
  if (changes.length === 0) return undefined;
  return {
    kind: 'memory-budgets',
    severity: 'info',
    summary:
      `The server's memory budgets change: ${changes.join(', ')} (derived from resources.limits.memory, or the request, unless restate.memory sets them). ` +
      'The server reads them only at start: they take effect as the pods roll (the rolling restart of this target).',
  };
}

function configChange(fields: readonly FieldChange[], key: string): FieldChange | undefined {
  return fields.find((field) => field.path === `spec.config#${key}`);
}

/** How fast the operator's StatefulSet moves on to the next pod, and what that means for the partitions. */
function readinessRisk(version: OperatorVersion): string {
  const delay = OPERATOR_FEATURES[version].readinessDelaySeconds;
  if (delay === 0) {
    return (
      `Under operator ${version} the readiness probe (/health on 9070) has no initial delay: a restarted pod counts as Ready within about a second ` +
      'while its partitions need 15–20 s, so the rollout can outrun them. Measured on a 3-node cluster: about 40 s of unavailability. ' +
      'Roll at a quiet time.'
    );
  }
  return (
    `Under operator ${version} a restarted pod counts as Ready only ${delay} s after it starts (the readiness probe's initial delay), ` +
    'by when its partitions (15–20 s) are led again: measured with that gate, no write failed during a roll.'
  );
}

/**
 * What raising or lowering `restate.defaultReplication` does to a running cluster: `default-replication` applies
 * only when a cluster is provisioned (restate-server resolves it in ProvisionCluster alone; a provisioned cluster
 * answers a second provisioning with AlreadyExists), so the live replication changes only when something runs
 * provision.sh --ensure-replication (`restatectl config set`). Who runs it differs per provisioner (docs/provisioning.md).
 */
function replicationEffect(before: unknown, after: unknown, facts: TargetFacts): Effect {
  const [from, to] = [show(before), show(after)];
  const lead =
    `default-replication ${from} → ${to} applies only at provisioning: a provisioned cluster keeps ${from} until provision.sh --ensure-replication ${to} ` +
    `sets it (restatectl config set; the replica sets follow within about 30 s; refused while the cluster has fewer than ${to} nodes). `;
  const [environment, provider] = facts.target.split('/');
  const byHand = `\`mise run provision --environment ${environment} --provider ${provider}\``;
  if (facts.provisioner === 'job') {
    const sync =
      facts.delivery === 'argocd'
        ? 'Argo CD runs it on the sync of this change (a Sync hook runs on every sync)'
        : facts.delivery === 'flux'
          ? 'Flux re-creates the changed Job (force: true)'
          : 'Argo CD runs it on every sync (a Sync hook) and Flux re-creates the changed Job (force: true)';
    return {
      kind: 'replication-step',
      severity: 'info',
      summary: `${lead}The provisioning Job does that, with --ensure-replication ${to}, each time it runs: promote re-creates it, and ${sync}.`,
    };
  }
  const summary =
    facts.provisioner === 'manual'
      ? `${lead}Promote does that (its provisioning step runs it in ${podName(0)}); an Argo CD or Flux sync does not: after the sync, run ${byHand}.`
      : `${lead}Nothing runs it by itself: ${
          facts.provisioner === 'operator'
            ? `operator ${facts.operatorVersion} provisions once and never changes the replication afterwards`
            : 'the cluster provisioned itself (auto-provision)'
        }, and neither promote nor Argo CD or Flux runs the step. Once the nodes run, run ${byHand}.`;
  return { kind: 'replication-step', severity: 'warn', summary };
}

/** The effects of a change to a RestateCluster that exists before and after. */
function clusterEffects(change: ObjectChange, facts: TargetFacts): Effect[] {
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
        readinessRisk(facts.operatorVersion),
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
  if (replication) effects.push(replicationEffect(replication.before, replication.after, facts));
  const memory = memoryBudgetEffect(change.fields, before, after);
  if (memory) effects.push(memory);
  const location = locationOf(after);
  if (locationOf(before) === undefined && location !== undefined) {
    effects.push({
      kind: 'locations',
      severity: 'warn',
      summary:
        `Every node gets the location ${location} (RESTATE_LOCATION, its pod's topology.kubernetes.io/zone label) when its pod restarts in this roll: ` +
        'Restate records a location at the next start of a node that had none and keeps it; changing it later can lose data. ' +
        'The replication stays as it is. Then check with deploy status that every node reports its zone (the pods carry the label only where ' +
        "Kubernetes' PodTopologyLabels admission runs: on by default from 1.35, a feature gate on 1.33-1.34), and only then commit a zone-scoped " +
        'restate.defaultReplication (docs/operations.md, "Zones").',
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
        '(the metadata cluster within about a second, partition leadership and log nodesets within 20–30 s). ' +
        'Replication does not follow the new size (restate.defaultReplication sets it).',
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
  const other = otherClusterFields(change.fields);
  if (other.length > 0) effects.push(otherClusterEffect(String(after.metadata?.name), other));
  return effects;
}

/** The RestateCluster fields the effects above do not speak for (each path once, in order). */
function otherClusterFields(fields: readonly FieldChange[]): string[] {
  const explained = (path: string) =>
    /^spec\.(compute|config|clusterName)\b/.test(path) ||
    path === 'spec.storage.storageRequestBytes' ||
    path.startsWith('metadata.labels') ||
    path.startsWith('metadata.annotations');
  return [...new Set(fields.map((field) => field.path).filter((path) => !explained(path)))];
}

/**
 * Any other RestateCluster field (security, network peers, the storage class of new claims): the operator
 * reconciles what it describes in place, and the pods do not restart for it. A workload identity annotation is the
 * one whose effect waits for the pods: the identity webhook (EKS's IRSA, GKE's) writes it into a pod when the pod is
 * created.
 */
function otherClusterEffect(name: string, paths: readonly string[]): Effect {
  const identity = paths.some((path) => path.startsWith('spec.security.serviceAccountAnnotations'));
  return {
    kind: 'in-place',
    severity: 'info',
    summary:
      `RestateCluster ${name}: ${paths.join(', ')} ${paths.length === 1 ? 'changes' : 'change'}; the operator updates what ` +
      `${paths.length === 1 ? 'it describes' : 'they describe'} in place (its ServiceAccount, NetworkPolicies), and the pods do not restart for it.` +
      (identity
        ? ' Running pods keep the identity they started with (the workload identity webhook sets it when a pod is created): ' +
          'the new annotation takes effect as each pod restarts (a rolling restart, or the next change that rolls them).'
        : ''),
  };
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

/** `--ensure-replication 2 → 3, --replicas 3 → 5`: the flags of a command line that change, with their values. */
function changedFlags(fields: readonly FieldChange[]): string {
  return fields
    .filter((field) => field.flag)
    .map((field) => `${field.flag} ${show(field.before)} → ${show(field.after)}`)
    .join(', ');
}

/** What a changed, added or removed provisioning Job means: when it runs again, and what it does to a provisioned cluster. */
function provisioningRerun(change: ObjectChange, facts: TargetFacts): Effect {
  const flags = change.change === 'changed' ? changedFlags(change.fields) : '';
  const sync =
    facts.delivery === 'argocd'
      ? 'Argo CD runs it on every sync (a Sync hook, the previous one deleted first)'
      : facts.delivery === 'flux'
        ? 'Flux re-creates a changed Job (force: true)'
        : 'Argo CD runs it on every sync (a Sync hook) and Flux re-creates a changed Job (force: true)';
  return {
    kind: 'provisioning-rerun',
    severity: 'info',
    summary:
      `${objectLabel(change.id)} ${change.change}${flags ? ` (${flags})` : ''}: a Job's pod template is immutable, so promote deletes the previous run ` +
      `and applies this one; ${sync}. Provisioning is idempotent: a provisioned cluster stays provisioned, and only --ensure-replication changes it ` +
      '(its replication, when it differs).',
  };
}

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const MANAGED_NAMESPACE_METADATA = 'spec.syncPolicy.managedNamespaceMetadata';

/**
 * The PodSecurity level a change of the operator delivery gives the operator's namespace, when that is all it does:
 * a Namespace added or relabelled (flux, helm), or only the Application's `managedNamespaceMetadata` (argocd).
 */
function podSecurityLevelChange(change: ObjectChange): string | undefined {
  if (change.change === 'removed') return undefined;
  const after = change.after as Cluster | undefined;
  if (change.id.kind === 'Namespace') {
    const onlyLabels = change.change === 'added' || change.fields.every((field) => field.path.startsWith('metadata.labels'));
    const level = after?.metadata?.labels?.[ENFORCE_LABEL];
    return onlyLabels && typeof level === 'string' ? level : undefined;
  }
  if (change.id.kind === 'Application' && change.change === 'changed') {
    if (!change.fields.every((field) => field.path.startsWith(MANAGED_NAMESPACE_METADATA))) return undefined;
    const level = after?.spec?.syncPolicy?.managedNamespaceMetadata?.labels?.[ENFORCE_LABEL];
    return typeof level === 'string' ? level : undefined;
  }
  return undefined;
}

/** The effects of every object change of a target that exists before and after. */
export function objectEffects(changes: readonly ObjectChange[], facts: TargetFacts): Effect[] {
  const effects: Effect[] = [];
  for (const change of changes) {
    const label = objectLabel(change.id);
    if (change.id.kind === RESTATE_CLUSTER_KIND) {
      if (change.change === 'changed') effects.push(...clusterEffects(change, facts));
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
    const entry = gitOpsEntryEffect(change, facts.target);
    if (entry) {
      effects.push(entry);
      continue;
    }
    const podSecurity = change.file.startsWith('0000-') ? podSecurityLevelChange(change) : undefined;
    if (podSecurity !== undefined) {
      effects.push({
        kind: 'pod-security',
        severity: 'info',
        summary:
          `${label} ${change.change}: the operator's namespace is held to the Pod Security Standard "${podSecurity}" ` +
          '(PodSecurity labels enforce, audit, warn): from now on the API server refuses a pod there that falls short of it. ' +
          'Running pods are not restarted and the operator is not updated (docs/pod-security.md).',
      });
    } else if (change.file.startsWith('0000-')) {
      effects.push({
        kind: 'operator-update',
        severity: 'info',
        summary:
          `${label} ${change.change}: the operator is updated in place. The Restate pods keep running; ` +
          'a new operator version may reconcile their StatefulSet differently (read its release notes).',
      });
    } else if (change.id.kind === 'Job' && TARGET_FILE.exec(change.file)?.[2] === ChartIds.PROVISIONING) {
      effects.push(provisioningRerun(change, facts));
    } else if (change.id.kind === 'Job' && change.change === 'added' && DRAIN_JOB.test(change.id.name)) {
      effects.push(drainJobEffect(change.id.name));
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

/**
 * A change of the GitOps entry (argocd/, flux/): nothing syncs it by itself (the Application reads the target folder
 * non-recursively, and the Flux entry is applied once by hand or by a Kustomization of the user's own), so it takes
 * effect only when the entry is applied again (docs/gitops.md).
 */
function gitOpsEntryEffect(change: ObjectChange, target: string): Effect | undefined {
  const folder = change.file.split('/')[0];
  if (change.file === folder || !isSynthFolder(folder!)) return undefined;
  const apply =
    folder === ARGOCD_FOLDER
      ? `\`kubectl apply --server-side -f <dist>/${target}/argocd/\` (and the argocd-cm patch, for a change under patches/)`
      : `\`kubectl apply -k <dist>/${target}/flux\`, or your own Kustomization that points at it`;
  return {
    kind: 'gitops-entry',
    severity: 'info',
    summary:
      `${objectLabel(change.id)} (${change.file}) ${change.change === 'changed' ? 'changes' : change.change}: the GitOps entry is not synced by ` +
      `itself; it takes effect when it is applied again: ${apply}. The Restate pods are not restarted by it.`,
  };
}

/** `<cluster>-drain-<from>-to-<to>`: the drain Job of a scale-in (lib/stack/day-two/drain-names.ts). */
const DRAIN_JOB = /-drain-(\d+)-to-(\d+)$/;

/** The first commit of a scale-in: what the drain Job does to the leaving nodes, and what must follow. */
function drainJobEffect(job: string): Effect {
  const [, from, to] = DRAIN_JOB.exec(job)!.map(Number);
  return {
    kind: 'scale-in',
    severity: 'warn',
    summary:
      `Job ${job} added: the first commit of a scale-in ${from} → ${to}. It drains ${pods(from!, to!)} one at a time ` +
      '(their partitions move away, their log storage turns read-only, they leave the metadata cluster); the pods keep running ' +
      `and are not restarted. Once it completed, the commit that lowers replicas to ${to} may follow (docs/operations.md, "Scale in").`,
  };
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
