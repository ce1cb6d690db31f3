import type { ClusterUnderTest } from './cluster-spec';
import { type EnvVar, type MountPaths, OPERATOR_MOUNTS, operatorEnv } from '../operator-part/env';
import { podName } from '../target-folder/operator-names';
import { LOCATION_ENV, locationRegion } from '../target-folder/restate-cluster';
import { ZONE_LABEL } from '../values';

/** Where a pod keeps its data and its config, in the container (the operator's mounts). */
export type PodPaths = MountPaths;

export const POD_PATHS: PodPaths = OPERATOR_MOUNTS;

/** An env variable of the pod whose value verify cannot know (a Secret, a ConfigMap, a resource field). */
export interface UnresolvedEnv {
  readonly name: string;
  readonly source: string;
}

export interface PodEnv {
  readonly env: Readonly<Record<string, string>>;
  readonly unresolved: readonly UnresolvedEnv[];
}

/** Kubernetes' `$(VAR)` expansion against the variables defined before; `$$` escapes. */
function expand(value: string, defined: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return name in defined ? defined[name] : match;
  });
}

/** How many zones the model's Kubernetes nodes sit in (an EKS cluster over three availability zones). */
export const MODEL_ZONE_COUNT = 3;

/**
 * The `topology.kubernetes.io/zone` label of pod `ordinal` in the model, when its cluster gives the nodes locations:
 * the pods land round-robin over three zones, as a zone spread of maxSkew 1 places them (5 pods: 2, 2, 1), and carry
 * the label as Kubernetes' PodTopologyLabels admission copies it from their node. The zones are named after the
 * region, AWS-style (`eu-central-1a`). Undefined for a cluster without locations: its pods carry no topology labels.
 */
export function modelPodZone(cluster: Pick<ClusterUnderTest, 'env'>, ordinal: number): string | undefined {
  const location = cluster.env.find((e) => e.name === LOCATION_ENV)?.value;
  if (location === undefined) return undefined;
  return `${locationRegion(location)}${'abc'[ordinal % MODEL_ZONE_COUNT]}`;
}

/** The zone labels the model's pods carry: `metadata.labels['topology.kubernetes.io/zone']` and the region's. */
const ZONE_FIELD = `metadata.labels['${ZONE_LABEL}']`;
const REGION_FIELD = "metadata.labels['topology.kubernetes.io/region']";

function fieldRefValue(entry: EnvVar, pod: string, namespace: string, zone: string | undefined): string | undefined {
  const fieldRef = entry.valueFrom?.fieldRef as { fieldPath?: unknown } | undefined;
  if (fieldRef?.fieldPath === 'metadata.name') return pod;
  if (fieldRef?.fieldPath === 'metadata.namespace') return namespace;
  // A label the pod does not carry resolves to "" (the kubelet's downward API), as on a cluster without the admission.
  if (fieldRef?.fieldPath === ZONE_FIELD) return zone ?? '';
  if (fieldRef?.fieldPath === REGION_FIELD) return '';
  return undefined;
}

/**
 * The environment of the Restate container in pod `ordinal`, resolved as the kubelet resolves the env list the
 * operator writes (lib/operator-part/env.ts, one derivation for verify and the operator's part): `$(VAR)` against
 * the variables before it, downward-API fields from the model's pod, a later entry of the same name winning.
 */
export function operatorPodEnv(cluster: ClusterUnderTest, ordinal: number, paths: PodPaths = POD_PATHS): PodEnv {
  const pod = podName(ordinal);
  const zone = modelPodZone(cluster, ordinal);
  const env: Record<string, string> = {};
  const unresolved: UnresolvedEnv[] = [];
  for (const entry of operatorEnv(cluster.clusterName, cluster.env, cluster.operatorVersion ?? '1.7.4', paths)) {
    if (entry.valueFrom !== undefined) {
      const value = fieldRefValue(entry, pod, cluster.name, zone);
      if (value === undefined) {
        delete env[entry.name];
        unresolved.push({ name: entry.name, source: Object.keys(entry.valueFrom).join(', ') || 'valueFrom' });
        continue;
      }
      env[entry.name] = value;
    } else {
      env[entry.name] = expand(entry.value ?? '', env);
    }
  }
  return { env, unresolved };
}
