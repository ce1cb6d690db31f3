/**
 * The restate-operator versions this stack models, and what differs between them where the stack relies on it.
 * Each fact names its source at the tag in https://github.com/restatedev/restate-operator.
 */

/** The operator (and chart) versions `operator.version` accepts. The first is the default. */
export const OPERATOR_VERSIONS = ['1.7.4', '2.8.1'] as const;
export type OperatorVersion = (typeof OPERATOR_VERSIONS)[number];

/**
 * Versions whose CRDs ship as a chart of their own, `restate-operator-crds` (charts/restate-operator-crds/ at
 * v2.8.1; chart 1.7.4 carries them in its own crds/ folder). `operator.crdsVersion` accepts these.
 */
export const CRDS_CHART_VERSIONS = ['2.8.1'] as const;
export type CrdsChartVersion = (typeof CRDS_CHART_VERSIONS)[number];

/** How the cluster gets provisioned when `provisioning.automated` is true. */
export const PROVISIONERS = ['job', 'operator'] as const;
export type Provisioner = (typeof PROVISIONERS)[number];

/** What a version of the operator does that the stack depends on. */
export interface OperatorFeatures {
  /**
   * `spec.cluster.autoProvision`: the operator calls ProvisionCluster on restate-0 itself (added in 2.1.0;
   * `compute.rs:970-1008` at v2.8.1).
   */
  readonly autoProvision: boolean;
  /** `spec.compute.topologySpreadConstraints`, passed to the pod template (1.8.3; `compute.rs:613` at v2.8.1). */
  readonly topologySpread: boolean;
  /** The chart's values.yaml has `installCrds` and a CRDs subchart (2.8.1: values.yaml:6, Chart.yaml:7-11). */
  readonly crdsSubchart: boolean;
  /** `initialDelaySeconds` of the Restate pods' readiness probe (1.7.4: none, compute.rs:375-382; 2.8.1: 30, compute.rs:577-584). */
  readonly readinessDelaySeconds: number;
}

export const OPERATOR_FEATURES: Readonly<Record<OperatorVersion, OperatorFeatures>> = {
  '1.7.4': { autoProvision: false, topologySpread: false, crdsSubchart: false, readinessDelaySeconds: 0 },
  '2.8.1': { autoProvision: true, topologySpread: true, crdsSubchart: true, readinessDelaySeconds: 30 },
};

/** A version string as an operator version, or undefined when the stack does not model it. */
export function asOperatorVersion(version: string | undefined): OperatorVersion | undefined {
  return (OPERATOR_VERSIONS as readonly string[]).includes(version ?? '') ? (version as OperatorVersion) : undefined;
}
