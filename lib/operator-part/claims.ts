/**
 * The claims step of `reconcile_compute`, between the PodDisruptionBudget and the StatefulSet: every claim of the
 * cluster gets the requested size, and the StatefulSet is applied only once all of them are Bound.
 * `resize_statefulset_storage` (compute.rs:879-987 at v1.7.4, called at :585-594) and
 * `change_statefulset_storage` (compute.rs:1461-1591 at v2.8.1, called at :948-957 @2.8.1). Upstream:
 * restatedev/restate-operator `src/controllers/restatecluster/reconcilers/compute.rs`.
 */
import type { OperatorVersion } from '../values';
import { quantityToBytes } from '../values/quantity';
import type { Manifest, RestateClusterObject } from './manifest';
import { mandatoryLabels } from './metadata';
import type { ReconcileOutcome } from './status';

/** A claim as the step reads it back: its name and `status.phase` (undefined when the server wrote none). */
export interface ClaimPhase {
  readonly name: string;
  readonly phase: string | undefined;
}

/**
 * The label selector of the claims the step visits. The operator's claim cache watches every namespace with
 * `app.kubernetes.io/name=restate` (controller.rs:373-380; :451-458 @2.8.1) and the step keeps those carrying every
 * mandatory label (compute.rs:893-901; :1475-1483 @2.8.1): name `restate` and instance `<cluster>`.
 */
export function claimSelector(cluster: RestateClusterObject): string {
  return Object.entries(mandatoryLabels(cluster))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * The apply the step makes of each claim, as `restate-operator` with force (compute.rs:888, :910-926; :1470,
 * :1492-1515 @2.8.1): the name, and the requested bytes as a plain number (`restate_pvc_resources`, :434-442;
 * :642-650 @2.8.1); at 2.8.1 also `volumeAttributesClassName` when the cluster sets one (:1498-1500 @2.8.1).
 */
export function claimPatch(cluster: RestateClusterObject, version: OperatorVersion, claimName: string): Manifest {
  const storage = cluster.spec.storage ?? {};
  const vac = version === '2.8.1' ? storage.volumeAttributesClassName : undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName },
    spec: {
      resources: { requests: { storage: String(storage.storageRequestBytes) } },
      ...(typeof vac === 'string' ? { volumeAttributesClassName: vac } : {}),
    },
  };
}

/**
 * The step's verdict on the claims in the order it visits them: the first whose phase after the apply is not
 * `Bound` stops the reconcile (compute.rs:928-937; :1517-1526 @2.8.1) with `NotReady`, so the StatefulSet is not
 * applied; undefined when every claim is Bound (or there is none yet, as before the StatefulSet's first pods).
 */
export function unboundClaim(claims: readonly ClaimPhase[]): ReconcileOutcome | undefined {
  const first = claims.find((claim) => claim.phase !== 'Bound');
  if (!first) return undefined;
  return {
    kind: 'not-ready',
    reason: 'PersistentVolumeClaimNotBound',
    message: `PersistentVolumeClaim ${first.name} is not yet bound to a volume`,
  };
}

/**
 * Once every claim is Bound: does the existing StatefulSet (the operator's cache of it) ask for the cluster's
 * storage? True when there is none (compute.rs:940-947; :1529-1536 @2.8.1) or when its first claim template's
 * request is the cluster's bytes (:949-963), at 2.8.1 with the same `volumeAttributesClassName` (:1538-1561 @2.8.1).
 * False means the operator deletes the StatefulSet, orphaning its pods, to recreate it with the new size.
 */
export function storageUnchanged(existing: Manifest | undefined, cluster: RestateClusterObject, version: OperatorVersion): boolean {
  if (!existing) return true;
  const template = existing.spec?.volumeClaimTemplates?.[0]?.spec;
  const request = template?.resources?.requests?.storage;
  let bytes: number | undefined;
  try {
    bytes = typeof request === 'string' ? quantityToBytes(request) : undefined;
  } catch {
    // a request it cannot read as whole bytes does not match (`Some(Ok(Some(bytes)))` only, :959-963)
    bytes = undefined;
  }
  const storage = cluster.spec.storage ?? {};
  if (bytes === undefined || bytes !== storage.storageRequestBytes) return false;
  return version !== '2.8.1' || template?.volumeAttributesClassName === storage.volumeAttributesClassName;
}

/**
 * The delete of a StatefulSet whose size changed (compute.rs:970-984; :1574-1588 @2.8.1): orphan propagation (the
 * pods stay), on the condition that it is still the one read (uid); at 2.8.1 with grace period 0.
 */
export function statefulSetDeleteOptions(existing: Manifest, version: OperatorVersion): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: 'Orphan',
    ...(version === '2.8.1' ? { gracePeriodSeconds: 0 } : {}),
    preconditions: { uid: existing.metadata.uid },
  };
}
