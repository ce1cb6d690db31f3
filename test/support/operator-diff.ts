/**
 * What the project's operator part (lib/operator-part/) derives for a target, set beside what the real operator
 * created (a recording of test/support/operator-objects.ts), field by field.
 *
 * Ours: `operatorObjects` (every object the operator writes), and the RestateCluster's status as `readyCondition`
 * writes it when the claims step finds the StatefulSet's claims `storage-restate-0..N-1` Pending (what the recording's
 * control plane shows: no volume provisioner); the claim it names is normalized on both sides, as the operator's
 * cache order decides it. Each real object is cut down to the fields the operator set (`writtenFields` of its recorded
 * `fieldsV1`), which is what our part writes too.
 */
import { operatorObjects } from '../../lib/operator-part/objects';
import type { RestateClusterObject } from '../../lib/operator-part/manifest';
import { unboundClaim } from '../../lib/operator-part/claims';
import { clusterStatus, readyCondition } from '../../lib/operator-part/status';
import type { OperatorVersion } from '../../lib/values';
import { normalizeObject, type Obj, objectKey, type OperatorDeployment, type OperatorRecording, writtenFields } from './operator-objects';

/** One difference: which object, which field, the real operator's value and ours (undefined: absent). */
export interface FieldDiff {
  readonly object: string;
  readonly path: string;
  readonly real: unknown;
  readonly ours: unknown;
}

/** What our operator part writes for `cluster`: its objects, and the cluster's status with every claim Pending. */
export function ourObjects(cluster: Obj, version: OperatorVersion): Obj[] {
  const objects = operatorObjects(cluster as RestateClusterObject, version);
  const replicas = cluster.spec?.compute?.replicas ?? 1;
  const claims = Array.from({ length: replicas }, (_, i) => ({ name: `storage-restate-${i}`, phase: 'Pending' }));
  const outcome = unboundClaim(claims);
  if (!outcome) throw new Error(`${cluster.metadata?.name}: no claim to find unbound (replicas ${replicas})`);
  const condition = readyCondition(outcome, version);
  const status = clusterStatus(cluster as RestateClusterObject, condition, version, 'now');
  return [...objects, { apiVersion: cluster.apiVersion, kind: cluster.kind, metadata: { name: cluster.metadata.name }, status }];
}

/** Every leaf of a value by path; list items by `[name=…]` when each has a name, else by index. */
export function leaves(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, []);
    const named = value.every((item) => typeof item?.name === 'string');
    value.forEach((item, index) => leaves(item, `${path}[${named ? `name=${item.name}` : index}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.set(path, {});
    for (const key of keys) leaves((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, value);
  }
  return out;
}

/** The fields whose values differ, in path order (a field absent on one side is undefined there). */
export function fieldDiff(object: string, real: unknown, ours: unknown): FieldDiff[] {
  const [a, b] = [leaves(real), leaves(ours)];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((path) => JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path)))
    .map((path) => ({ object, path, real: a.get(path), ours: b.get(path) }));
}

/**
 * The defaults the API server (v1.37.2) writes into fields the operator owns whole: an atomic list or struct is
 * recorded in fieldsV1 as one field, so its server-set members count as the operator's. Each is a default, not a
 * choice of the operator (compute.rs at v1.7.4 leaves them unset, e.g. `api_version: None` at :238):
 * - a fieldRef's `apiVersion: v1` (pkg/apis/core/v1/defaults.go:397-401, SetDefaults_ObjectFieldSelector);
 * - a claim template's `apiVersion`/`kind` (pkg/apis/apps/v1/conversion.go:153-163), `spec.volumeMode: Filesystem`
 *   (defaults.go:341-346) and `status.phase: Pending` (defaults.go:336-340).
 */
export function withServerDefaults(object: Obj): Obj {
  const copy = structuredClone(object);
  for (const owner of copy.metadata?.ownerReferences ?? []) delete owner.uid;
  if (copy.kind !== 'StatefulSet') return copy;
  const pod = copy.spec.template.spec;
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])])
    for (const entry of container.env ?? [])
      if (entry.valueFrom?.fieldRef) entry.valueFrom.fieldRef = { apiVersion: 'v1', ...entry.valueFrom.fieldRef };
  copy.spec.volumeClaimTemplates = (copy.spec.volumeClaimTemplates ?? []).map((claim: Obj) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    ...claim,
    spec: { volumeMode: 'Filesystem', ...claim.spec },
    status: { phase: 'Pending', ...claim.status },
  }));
  return copy;
}

/** Every difference between a recording and what our operator part derives for the same RestateCluster and operator. */
export function diffAgainstOperatorPart(recording: OperatorRecording, cluster: Obj, deployment: OperatorDeployment): FieldDiff[] {
  const version = deployment.version as OperatorVersion;
  const written = new Map<string, Obj>();
  for (const object of recording.objects) {
    const fields = recording.operatorFields[objectKey(object)];
    // fieldsV1 leaves out an object's identity, and keys owner references by the uid the recording drops: both are
    // taken from the object itself.
    const cut = fields ? writtenFields(object, fields) : structuredClone(object);
    const { name, namespace, ownerReferences } = object.metadata;
    cut.apiVersion = object.apiVersion;
    cut.kind = object.kind;
    cut.metadata = { ...cut.metadata, name, ...(namespace ? { namespace } : {}), ...(ownerReferences ? { ownerReferences } : {}) };
    written.set(objectKey(object), cut);
  }
  const ours = new Map<string, Obj>();
  for (const object of ourObjects(cluster, version)) {
    const copy = withServerDefaults(object);
    ours.set(objectKey(copy), copy);
  }
  const diffs: FieldDiff[] = [];
  for (const key of [...new Set([...written.keys(), ...ours.keys()])].sort()) {
    const [real, our] = [written.get(key), ours.get(key)];
    if (key.startsWith('RestateCluster ')) {
      // Only the status is the operator's; the spec is the target's (the consistency test holds it to dist/).
      const conditions = (status: Obj) => (status?.conditions ?? []).map(({ lastTransitionTime: _, ...c }: Obj) => c);
      const ourStatus = our ? normalizeObject(our).status : undefined;
      diffs.push(...fieldDiff(key, { conditions: conditions(real?.status) }, { conditions: conditions(ourStatus) }));
      continue;
    }
    if (!real || !our) {
      diffs.push({ object: key, path: '', real: real ? 'created' : undefined, ours: our ? 'created' : undefined });
      continue;
    }
    diffs.push(...fieldDiff(key, real, our));
  }
  return diffs;
}

/** A diff as Markdown table rows: object, field path, real operator value, our value. */
export function diffTable(diffs: readonly FieldDiff[]): string {
  const cell = (value: unknown) => (value === undefined ? '(absent)' : `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``);
  const rows = diffs.map((d) => `| ${d.object} | ${d.path || '(object)'} | ${cell(d.real)} | ${cell(d.ours)} |`);
  return ['| object | field | real operator | ours |', '|---|---|---|---|', ...rows].join('\n');
}
