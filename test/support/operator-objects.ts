/**
 * The objects the real restate-operator created for a shipped target, as recorded by
 * scripts/record-operator-objects.ts into test/data/operator-objects/<tag>/<environment>-<provider>.json, and what
 * both the recorder and the tests need to read them: how a target's operator is deployed (its version, namespace and
 * the environment its chart's Deployment gives the container) and how a live object is reduced to what does not
 * change between runs.
 *
 * Facts from restatedev/restate-operator (tags v1.7.4 and v2.8.1), read here, not copied:
 * - charts/restate-operator-helm/templates/deployment.yaml: the container has no `args`; its env is RUST_LOG
 *   (`logging.env_filter`), OPERATOR_NAMESPACE (the pod's namespace), OPERATOR_LABEL_NAME `app`, OPERATOR_LABEL_VALUE
 *   (the pod's label `app`, which _helpers.tpl sets to the chart name override `restate-operator`), then, when set,
 *   AWS_POD_IDENTITY_ASSOCIATION_CLUSTER, and at v2.8.1 GCP_WORKLOAD_IDENTITY, CANARY_IMAGE and CLUSTER_DNS; then `env`.
 * - values.yaml: `logging.env_filter` is `info,restate=debug`; the optional values are unset.
 * - src/main.rs: each flag of the binary also reads an environment variable (clap `env = …`); the set differs by version.
 * - every write of the RestateCluster controller is a server-side apply under field manager `restate-operator`
 *   (`PatchParams::apply("restate-operator")`, other managers of the RestateDeployment controller start with it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { chartEnv, FLAG_ENV, type OperatorChart, operatorChart } from '../../lib/verify/operator-chart';

/** What each operator tag's flags read, and the env the chart's Deployment gives it: verify's (lib/verify/operator-chart.ts). */
export { chartEnv, FLAG_ENV };

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server returns them
export type Obj = any;

/** The date the shipped recordings were made (each file carries it). */
export const RECORDED = '2026-12-07';

/** Where the recordings live, relative to the repository root. */
export const RECORDINGS_DIR = join('test', 'data', 'operator-objects');

/** One recording: the operator's tag, the day, the target and the normalized objects. */
export interface OperatorRecording {
  readonly operator: string;
  readonly recorded: string;
  readonly target: string;
  readonly objects: readonly Obj[];
  /**
   * Per object (`objectKey`), the fields the operator itself set: the `fieldsV1` of its server-side apply (from the
   * managedFields dropped from `objects`). What is in an object and not here the server defaulted or another
   * controller wrote; `writtenFields` cuts an object down to it.
   */
  readonly operatorFields: Readonly<Record<string, Obj>>;
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function objectKey(object: Obj): string {
  const ns = object.metadata?.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata?.name}`;
}

/** The union of the `fieldsV1` of every managedFields entry of the operator's managers, keys sorted. */
export function operatorFieldsOf(object: Obj): Obj | undefined {
  const entries = (object.metadata?.managedFields ?? []).filter(
    (entry: Obj) => typeof entry.manager === 'string' && entry.manager.startsWith(OPERATOR_MANAGER_PREFIX) && entry.fieldsV1,
  );
  if (entries.length === 0) return undefined;
  return sortKeys(withoutUids(entries.reduce((all: Obj, entry: Obj) => mergeFields(all, entry.fieldsV1), {})));
}

/** fieldsV1 keys list items by value: an owner reference by its uid, which is new on every run. */
function withoutUids(fields: Obj): Obj {
  if (!isRecord(fields)) return fields;
  const out: Record<string, Obj> = {};
  for (const [key, value] of Object.entries(fields)) out[key.replace(/^k:\{"uid":"[^"]*"\}$/, 'k:{"uid":"(owner)"}')] = withoutUids(value);
  return out;
}

function mergeFields(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = key in out ? mergeFields(out[key], value) : value;
  return out;
}

/** Does a list item match a `fieldsV1` key (`k:{"name":"x"}`: every named field equal; `v:<json>`: the value)? */
function itemMatches(item: Obj, key: string): boolean {
  if (key.startsWith('v:')) return JSON.stringify(sortKeys(item)) === JSON.stringify(sortKeys(JSON.parse(key.slice(2))));
  if (!key.startsWith('k:') || !isRecord(item)) return false;
  const wanted = JSON.parse(key.slice(2)) as Record<string, unknown>;
  return Object.entries(wanted).every(([field, value]) => JSON.stringify(item[field]) === JSON.stringify(value));
}

/**
 * The part of a live object that a manager's `fieldsV1` covers: what that manager sent in its apply (server-side
 * apply records each field it set; a field marked `.` or with no children is taken whole).
 */
export function writtenFields(value: Obj, fields: Obj): Obj {
  const children = Object.keys(fields ?? {}).filter((key) => key !== '.');
  if (children.length === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    return value
      .filter((item) => children.some((key) => itemMatches(item, key)))
      .map((item) => {
        const key = children.find((k) => itemMatches(item, k))!;
        return key.startsWith('v:') ? item : writtenFields(item, fields[key]);
      });
  }
  const out: Record<string, Obj> = {};
  for (const key of children) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    if (name in value) out[name] = writtenFields(value[name], fields[key]);
  }
  return out;
}

/** The field manager prefix of every write the operator makes. */
export const OPERATOR_MANAGER_PREFIX = 'restate-operator';

/** How a target deploys its operator, read from its 0000-operator.k8s.yaml: verify's reading (lib/verify/operator-chart.ts). */
export type OperatorDeployment = OperatorChart;
export const operatorDeployment = operatorChart;

const isRecord = (value: unknown): value is Record<string, Obj> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The one RestateCluster of a target folder's 0001-cluster.k8s.yaml. */
export function distCluster(targetDir: string): Obj {
  const file = join(targetDir, '0001-cluster.k8s.yaml');
  const clusters = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJSON() as Obj)
    .filter((object) => isRecord(object) && object.kind === 'RestateCluster');
  if (clusters.length !== 1) throw new Error(`${file}: holds ${clusters.length} RestateClusters, expected 1`);
  return clusters[0];
}

/** Did the operator write this object (any managedFields entry of its field managers)? */
export function writtenByOperator(object: Obj): boolean {
  return (object.metadata?.managedFields ?? []).some(
    (entry: Obj) => typeof entry.manager === 'string' && entry.manager.startsWith(OPERATOR_MANAGER_PREFIX),
  );
}

/** Metadata the server assigns anew on every run. */
const RUN_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];

/**
 * An object reduced to what the operator decided: the server's per-run metadata and the owner's uid dropped, the
 * status dropped (other controllers write it: the StatefulSet controller, the namespace controller) except the
 * RestateCluster's, whose condition times are dropped; a Service's allocated cluster IPs dropped ("None" kept).
 */
export function normalizeObject(object: Obj): Obj {
  const copy = structuredClone(object);
  const metadata = copy.metadata ?? {};
  for (const key of RUN_METADATA) delete metadata[key];
  for (const owner of metadata.ownerReferences ?? []) delete owner.uid;
  if (copy.kind === 'RestateCluster') {
    for (const condition of copy.status?.conditions ?? []) {
      delete condition.lastTransitionTime;
      // The operator names the first unbound claim it meets, in the order of its cache, which varies by run.
      if (typeof condition.message === 'string')
        condition.message = condition.message.replace(/storage-restate-\d+/g, 'storage-restate-<n>');
    }
  } else {
    delete copy.status;
  }
  if (copy.kind === 'Service' && copy.spec) {
    if (copy.spec.clusterIP !== 'None') {
      delete copy.spec.clusterIP;
      delete copy.spec.clusterIPs;
    }
  }
  return sortKeys(copy);
}

/** The same value with every object's keys in code-point order (so the JSON text does not follow the server's order). */
export function sortKeys(value: Obj): Obj {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const sorted: Record<string, Obj> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted by kind, namespace, name. */
export function sortObjects(objects: readonly Obj[]): Obj[] {
  const key = (o: Obj) => [o.kind, o.metadata?.namespace ?? '', o.metadata?.name ?? ''];
  return [...objects].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return compare(x[0], y[0]) || compare(x[1], y[1]) || compare(x[2], y[2]);
  });
}

/** The file text of a recording: two-space JSON with a final newline. */
export function recordingText(recording: OperatorRecording): string {
  const { operator, recorded, target, objects, operatorFields } = recording;
  const body = { operator, recorded, target, objects, operatorFields: sortKeys(operatorFields) };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Where a target's recording for an operator tag lives, under a root (the repository). */
export function recordingPath(root: string, tag: string, environment: string, provider: string): string {
  return join(root, RECORDINGS_DIR, tag, `${environment}-${provider}.json`);
}

export function readRecording(file: string): OperatorRecording {
  return JSON.parse(readFileSync(file, 'utf8')) as OperatorRecording;
}
