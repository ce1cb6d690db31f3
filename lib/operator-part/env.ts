/**
 * The Restate container's environment as the operator writes it into the StatefulSet: `env()` in
 * `src/controllers/restatecluster/reconcilers/compute.rs` (v1.7.4 :198-253; v2.8.1 :205-291).
 */
import { HEADLESS_SERVICE, FABRIC_PORT } from '../target-folder/operator-names';
import type { OperatorVersion } from '../values';

/** One `env` entry as Kubernetes takes it. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Readonly<Record<string, unknown>>;
}

/** Where the operator mounts the data volume and the config map (compute.rs:275-292 at v1.7.4, :420-437 at v2.8.1). */
export interface MountPaths {
  readonly baseDir: string;
  readonly configFile: string;
}

export const OPERATOR_MOUNTS: MountPaths = { baseDir: '/restate-data', configFile: '/config/config.toml' };

const fieldRef = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * The env list: the downward-API variables first, always (POD_NAME, :232-246; at v2.8.1 also POD_ZONE and POD_REGION
 * from the pod's topology labels, :239-284), then the operator's own variables except those `spec.compute.env` names
 * (:199-230), then `spec.compute.env` as written (:248-252). `mounts` is for verify, which runs the pods on folders
 * of its own.
 */
export function operatorEnv(
  clusterName: string,
  custom: readonly EnvVar[],
  version: OperatorVersion,
  mounts: MountPaths = OPERATOR_MOUNTS,
): EnvVar[] {
  const downward = [
    fieldRef('POD_NAME', 'metadata.name'),
    ...(version === '2.8.1'
      ? [
          fieldRef('POD_ZONE', "metadata.labels['topology.kubernetes.io/zone']"),
          fieldRef('POD_REGION', "metadata.labels['topology.kubernetes.io/region']"),
        ]
      : []),
  ];
  const defaults: [string, string][] = [
    ['RESTATE_LOG_FORMAT', 'json'],
    ['RESTATE_CLUSTER_NAME', clusterName],
    ['RESTATE_BASE_DIR', mounts.baseDir],
    ['RUST_BACKTRACE', '1'],
    ['RUST_LIB_BACKTRACE', '0'],
    ['RESTATE_CONFIG', mounts.configFile],
    ['RESTATE_ADVERTISED_ADDRESS', `http://$(POD_NAME).${HEADLESS_SERVICE}:${FABRIC_PORT}`],
    ['RESTATE_NODE_NAME', '$(POD_NAME)'],
  ];
  const named = new Set(custom.map((e) => e.name));
  return [
    ...downward,
    ...defaults.filter(([name]) => !named.has(name)).map(([name, value]) => ({ name, value })),
    ...custom.map((e) => ({
      name: e.name,
      ...(e.value !== undefined ? { value: e.value } : {}),
      ...(e.valueFrom ? { valueFrom: e.valueFrom } : {}),
    })),
  ];
}
