import type { ClusterEnvVar, ClusterUnderTest } from './cluster-spec';
import { advertisedAddress, podName } from '../target-folder/operator-names';

/** Where a pod keeps its data and its config, in the container (the operator's mounts). */
export interface PodPaths {
  /** RESTATE_BASE_DIR: the volume `/restate-data` in a pod. */
  readonly baseDir: string;
  /** RESTATE_CONFIG: `/config/config.toml` in a pod. */
  readonly configFile: string;
}

export const POD_PATHS: PodPaths = { baseDir: '/restate-data', configFile: '/config/config.toml' };

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

function fieldRefValue(entry: ClusterEnvVar, pod: string, namespace: string): string | undefined {
  const fieldRef = entry.valueFrom?.fieldRef as { fieldPath?: unknown } | undefined;
  if (fieldRef?.fieldPath === 'metadata.name') return pod;
  if (fieldRef?.fieldPath === 'metadata.namespace') return namespace;
  return undefined;
}

/**
 * The environment of the Restate container in pod `ordinal`, as the operator builds it (`compute.rs` at tag v1.7.4 of https://github.com/restatedev/restate-operator;
 * at v2.8.1 `env()`, compute.rs:205-290, which adds POD_ZONE and POD_REGION from the pod's topology labels):
 * its own variables first, except those that `spec.compute.env` names, then `spec.compute.env` in order.
 */
export function operatorPodEnv(cluster: ClusterUnderTest, ordinal: number, paths: PodPaths = POD_PATHS): PodEnv {
  const pod = podName(ordinal);
  const defaults: [string, string][] = [
    ['POD_NAME', pod],
    // Downward API fields of labels the pod does not carry resolve to "": the model's pods carry none.
    ...((cluster.operatorVersion ?? '1.7.4') === '2.8.1'
      ? ([
          ['POD_ZONE', ''],
          ['POD_REGION', ''],
        ] as [string, string][])
      : []),
    ['RESTATE_LOG_FORMAT', 'json'],
    ['RESTATE_CLUSTER_NAME', cluster.clusterName],
    ['RESTATE_NODE_NAME', pod],
    ['RESTATE_ADVERTISED_ADDRESS', advertisedAddress(ordinal)],
    ['RESTATE_BASE_DIR', paths.baseDir],
    ['RESTATE_CONFIG', paths.configFile],
  ];
  const custom = new Set(cluster.env.map((e) => e.name));
  const env: Record<string, string> = {};
  for (const [name, value] of defaults) if (!custom.has(name)) env[name] = value;
  const unresolved: UnresolvedEnv[] = [];
  for (const entry of cluster.env) {
    if (entry.valueFrom !== undefined) {
      const value = fieldRefValue(entry, pod, cluster.name);
      if (value === undefined) {
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
