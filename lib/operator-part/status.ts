/**
 * The RestateCluster's `Ready` condition as the operator writes it: `reconcile_status` (controller.rs:210-291 at
 * v1.7.4, :249-364 at v2.8.1) over the outcome of its reconcile, the StatefulSet's status read by
 * `validate_stateful_set_status` (compute.rs:1000-1030; :1604-1646 @2.8.1).
 */
import * as TOML from '@iarna/toml';
import type { OperatorVersion } from '../values';
import type { Manifest, RestateClusterObject } from './manifest';

export interface ReadyCondition {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** What a reconcile ended in, before it is written as the condition. */
export type ReconcileOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'not-ready'; readonly reason: string; readonly message: string }
  /** A failed reconcile: `err.to_string()` (src/lib.rs `#[error]` text) becomes the message. */
  | { readonly kind: 'error'; readonly message: string };

/** src/lib.rs:19-20: the text of `Error::NameConflict` (a namespace of the cluster's name that it does not own). */
export const NAME_CONFLICT = 'A namespace cannot be created for this name as one already exists';

/** `validate_stateful_set_status` on the StatefulSet the apply returned, expecting `spec.compute.replicas` (default 1). */
export function statefulSetOutcome(status: Manifest | undefined, expected: number): ReconcileOutcome {
  // :1004-1012: no status. The source swaps the two fields here (message "StatefulSetNoStatus", the sentence as the
  // reason), in both versions; written as the source has it. The server answers an apply with a status
  // (`replicas: 0` at least), so the next case is what a fresh StatefulSet shows.
  if (!status)
    return { kind: 'not-ready', message: 'StatefulSetNoStatus', reason: 'StatefulSet has no status set; it may have just been created' };
  const replicas = status.replicas ?? 0;
  if (replicas !== expected)
    return {
      kind: 'not-ready',
      reason: 'StatefulSetScaling',
      message: `StatefulSet has ${replicas} replicas instead of the expected ${expected}; it may be scaling up or down`,
    };
  const ready = status.readyReplicas ?? 0;
  if (ready !== expected)
    return {
      kind: 'not-ready',
      reason: 'StatefulSetPodNotReady',
      message: `StatefulSet has ${ready} ready replicas instead of the expected ${expected}; a pod may not be ready`,
    };
  return { kind: 'ok' };
}

/**
 * 2.8.1's provisioning step before the status check (compute.rs:970-1008 @2.8.1), for a cluster with
 * `spec.cluster.autoProvision` not yet `status.provisioned`: the config must turn the server's own provisioning off
 * (provisioning.rs:25-87 @2.8.1: `RESTATE_AUTO_PROVISION=false` in the env, else `auto-provision = false` in the
 * TOML), then restate-0 must be Running; undefined when provisioning may run.
 */
export function provisioningBlock(cluster: RestateClusterObject, firstPodPhase: string | undefined): ReconcileOutcome | undefined {
  // src/lib.rs:34-35 @2.8.1: the text of `Error::InvalidRestateConfig`.
  const invalid = (message: string): ReconcileOutcome => ({ kind: 'error', message: `Invalid Restate configuration: ${message}` });
  const advice =
    'Cannot use cluster.autoProvision without auto-provision = false in config or RESTATE_AUTO_PROVISION=false env var. ' +
    'Disable cluster auto-provisioning by setting auto-provision = false in config or RESTATE_AUTO_PROVISION=false ' +
    'when using operator-managed provisioning.';
  const envVar = (cluster.spec.compute?.env ?? []).find((e: Manifest) => e.name === 'RESTATE_AUTO_PROVISION');
  if (envVar !== undefined && typeof envVar.value === 'string') {
    if (envVar.value.toLowerCase() !== 'false')
      return invalid(
        'Cannot use cluster.autoProvision with RESTATE_AUTO_PROVISION != false. Disable cluster auto-provisioning by setting ' +
          'RESTATE_AUTO_PROVISION=false or removing the env var and setting auto-provision = false in config.',
      );
  } else {
    if (typeof cluster.spec.config !== 'string') return invalid(advice);
    let parsed: Record<string, unknown>;
    try {
      parsed = TOML.parse(cluster.spec.config);
    } catch (error) {
      return invalid(`Failed to parse config TOML: ${(error as Error).message}`);
    }
    if (parsed['auto-provision'] !== false) return invalid(advice);
  }
  if (firstPodPhase !== 'Running')
    return {
      kind: 'not-ready',
      reason: 'ProvisioningPodNotRunning',
      message: 'Waiting for restate-0 pod to be Running before provisioning',
    };
  return undefined;
}

/**
 * The condition for an outcome (controller.rs:215-253; :257-320 @2.8.1): success is True "Provisioned" at 1.7.4 and
 * True "Reconciled" at 2.8.1; a NotReady is False with its reason; any other error Unknown "FailedReconcile".
 */
export function readyCondition(outcome: ReconcileOutcome, version: OperatorVersion): ReadyCondition {
  if (outcome.kind === 'ok')
    return version === '2.8.1'
      ? { status: 'True', reason: 'Reconciled', message: 'Restate Cluster reconciled successfully' }
      : { status: 'True', reason: 'Provisioned', message: 'Restate Cluster provisioned successfully' };
  if (outcome.kind === 'not-ready') return { status: 'False', reason: outcome.reason, message: outcome.message };
  return { status: 'Unknown', reason: 'FailedReconcile', message: outcome.message };
}

/**
 * The status the operator applies (controller.rs:255-288; :322-361 @2.8.1): the one Ready condition, its
 * lastTransitionTime kept unless the status changed; at 2.8.1 `provisioned` carried over.
 */
export function clusterStatus(cluster: RestateClusterObject, condition: ReadyCondition, version: OperatorVersion, now: string): Manifest {
  const before = (cluster.status?.conditions ?? []).find((c: Manifest) => c.type === 'Ready');
  const lastTransitionTime = before?.status === condition.status && before?.lastTransitionTime ? before.lastTransitionTime : now;
  const provisioned = version === '2.8.1' ? cluster.status?.provisioned : undefined;
  return {
    conditions: [{ lastTransitionTime, message: condition.message, reason: condition.reason, status: condition.status, type: 'Ready' }],
    ...(provisioned !== undefined ? { provisioned } : {}),
  };
}
