/**
 * What the project's stand-ins for the operator derive for a target, set beside what the real operator created
 * (a recording of test/support/operator-objects.ts), field by field.
 *
 * The stand-ins compared: test/control-plane/operator-stand-in.ts (`operatorPass`: Namespace, ServiceAccount,
 * StatefulSet and the Ready condition, run here against an in-memory API), lib/verify/network-policies.ts
 * (`operatorNetworkPolicies`), lib/verify/operator-env.ts (`operatorPodEnv`, the container env of pod 0) and
 * lib/verify/cluster-service.ts (`readinessOf`, the readiness probe). Each real object is cut down to the fields the
 * operator set (`writtenFields` of its recorded `fieldsV1`), which is what a stand-in writes too; the probe is
 * compared whole (its server defaults are what cluster-service.ts models).
 */
import { podName } from '../../lib/target-folder/operator-names';
import { parseClusterManifest } from '../../lib/verify/cluster-spec';
import { readinessOf } from '../../lib/verify/cluster-service';
import { type ClusterSecurity, type NetworkPolicy, operatorNetworkPolicies } from '../../lib/verify/network-policies';
import { operatorPodEnv } from '../../lib/verify/operator-env';
import type { OperatorVersion } from '../../lib/values';
import type { ControlPlane, RunResult } from '../control-plane/harness';
import { operatorPass } from '../control-plane/operator-stand-in';
import { type Obj, objectKey, type OperatorDeployment, type OperatorRecording, writtenFields } from './operator-objects';

/** One difference: which object, which field, the real operator's value and ours (undefined: absent). */
export interface FieldDiff {
  readonly object: string;
  readonly path: string;
  readonly real: unknown;
  readonly ours: unknown;
}

/** The uid the in-memory RestateCluster carries (owner references are compared without it). */
const FAKE_UID = '00000000-0000-0000-0000-000000000000';

/**
 * What `operatorPass` applies for a cluster, captured from an in-memory API: the cluster is listed, its namespace is
 * absent, and its StatefulSet, once applied, reports `replicas` pods of which none is ready (no kubelet runs, as on
 * the recording's control plane).
 */
export async function standInPass(cluster: Obj): Promise<Obj[]> {
  const live = { ...cluster, metadata: { ...cluster.metadata, uid: FAKE_UID } };
  const applied: Obj[] = [];
  const answer = (code: number, stdout = ''): RunResult => ({ code, stdout, stderr: '' });
  const kubectl = async (args: readonly string[], options?: { input?: string }): Promise<RunResult> => {
    if (args[0] === 'apply') {
      const object = JSON.parse(options?.input ?? '{}');
      applied.push(args.includes('--subresource=status') ? { ...live, status: object.status } : object);
      return answer(0);
    }
    if (args.join(' ') === 'get restateclusters -o json') return answer(0, JSON.stringify({ items: [live] }));
    const sts = applied.find((o) => o.kind === 'StatefulSet');
    if (args.includes('get') && args.some((a) => a.startsWith('statefulset/')) && sts) {
      return answer(0, JSON.stringify({ ...sts, status: { replicas: sts.spec.replicas, readyReplicas: 0 } }));
    }
    return answer(1);
  };
  await operatorPass({ kubectl } as unknown as ControlPlane);
  return applied.map((object) => dropUids(object));
}

function dropUids(object: Obj): Obj {
  const copy = structuredClone(object);
  for (const owner of copy.metadata?.ownerReferences ?? []) delete owner.uid;
  delete copy.metadata?.uid;
  if (copy.kind === 'RestateCluster') for (const c of copy.status?.conditions ?? []) delete c.lastTransitionTime;
  return copy;
}

/** network-policies.ts's model of a policy, in the API's shape. */
export function policyObject(policy: NetworkPolicy): Obj {
  const rule = (side: 'from' | 'to') => (r: { peers?: readonly unknown[]; ports?: readonly unknown[] }) => ({
    ...(r.peers ? { [side]: r.peers } : {}),
    ...(r.ports ? { ports: r.ports } : {}),
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policy.name, namespace: policy.namespace },
    spec: {
      podSelector: policy.podSelector,
      policyTypes: policy.policyTypes,
      ...(policy.ingress ? { ingress: policy.ingress.map(rule('from')) } : {}),
      ...(policy.egress ? { egress: policy.egress.map(rule('to')) } : {}),
    },
  };
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

/** The container env of pod 0 from a real StatefulSet, fieldRefs resolved as operator-env.ts resolves them. */
function realPodEnv(statefulSet: Obj): Record<string, string> {
  const container = statefulSet.spec.template.spec.containers.find((c: Obj) => c.name === 'restate');
  const env: Record<string, string> = {};
  for (const entry of container?.env ?? []) {
    const field = entry.valueFrom?.fieldRef?.fieldPath;
    if (entry.value !== undefined) env[entry.name] = entry.value.replace(/\$\(([A-Za-z_]\w*)\)/g, (m: string, v: string) => env[v] ?? m);
    else if (field === 'metadata.name') env[entry.name] = podName(0);
    else if (field === 'metadata.namespace') env[entry.name] = statefulSet.metadata.namespace;
    else if (typeof field === 'string' && field.startsWith('metadata.labels')) env[entry.name] = '';
    else if (entry.valueFrom) env[entry.name] = `(from ${Object.keys(entry.valueFrom).join(', ')})`;
  }
  return env;
}

/** Every difference between a recording and what the stand-ins derive for the same RestateCluster and operator. */
export async function diffAgainstStandIns(
  recording: OperatorRecording,
  cluster: Obj,
  deployment: OperatorDeployment,
): Promise<FieldDiff[]> {
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
  const diffs: FieldDiff[] = [];
  try {
    for (const object of await standInPass(cluster)) ours.set(objectKey(object), object);
  } catch (error) {
    diffs.push({ object: 'operator-stand-in.ts operatorPass', path: '', real: 'reconciles', ours: `throws: ${(error as Error).message}` });
  }
  const name = cluster.metadata.name;
  const spec = cluster.spec ?? {};
  const identity = { namespace: deployment.namespace, labelName: 'app', labelValue: deployment.env.OPERATOR_LABEL_VALUE };
  const policies = operatorNetworkPolicies(name, spec.security as ClusterSecurity | undefined, identity, {
    operatorVersion: version,
    autoProvision: spec.cluster?.autoProvision === true,
  });
  for (const policy of policies) ours.set(objectKey(policyObject(policy)), policyObject(policy));

  for (const key of [...new Set([...written.keys(), ...ours.keys()])].sort()) {
    const [real, our] = [written.get(key), ours.get(key)];
    if (key.startsWith('RestateCluster ')) {
      // Only the status is the operator's; the spec is the target's (the consistency test holds it to dist/).
      diffs.push(...fieldDiff(key, { status: real?.status }, { status: our?.status }));
      continue;
    }
    if (!real || !our) {
      diffs.push({ object: key, path: '', real: real ? 'created' : undefined, ours: our ? 'created' : undefined });
      continue;
    }
    diffs.push(...fieldDiff(key, real, our));
  }

  const statefulSet = recording.objects.find((o) => o.kind === 'StatefulSet');
  if (statefulSet) {
    const key = `${objectKey(statefulSet)} (env of pod 0, operator-env.ts)`;
    try {
      const model = parseClusterManifest(JSON.stringify(cluster), key, version);
      diffs.push(...fieldDiff(key, realPodEnv(statefulSet), operatorPodEnv(model, 0).env));
    } catch (error) {
      diffs.push({ object: key, path: '', real: 'env', ours: `throws: ${(error as Error).message}` });
    }
    const container = statefulSet.spec.template.spec.containers.find((c: Obj) => c.name === 'restate');
    const probe = readinessOf(version);
    const ourProbe = {
      httpGet: { path: probe.path, port: probe.port },
      initialDelaySeconds: probe.initialDelayMs / 1000,
      periodSeconds: probe.periodMs / 1000,
      timeoutSeconds: probe.timeoutMs / 1000,
      successThreshold: probe.successThreshold,
      failureThreshold: probe.failureThreshold,
    };
    const real = structuredClone(container?.readinessProbe ?? {});
    // The scheme is the server's default and the model speaks HTTP only.
    if (real.httpGet?.scheme === 'HTTP') delete real.httpGet.scheme;
    if (real.initialDelaySeconds === undefined) real.initialDelaySeconds = 0;
    diffs.push(...fieldDiff(`${objectKey(statefulSet)} (readiness probe, cluster-service.ts)`, real, ourProbe));
  }
  return diffs;
}

/** A diff as Markdown table rows: object, field path, real operator value, our value. */
export function diffTable(diffs: readonly FieldDiff[]): string {
  const cell = (value: unknown) => (value === undefined ? '(absent)' : `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``);
  const rows = diffs.map((d) => `| ${d.object} | ${d.path || '(object)'} | ${cell(d.real)} | ${cell(d.ours)} |`);
  return ['| object | field | real operator | ours |', '|---|---|---|---|', ...rows].join('\n');
}
